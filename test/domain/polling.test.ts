import { SAGEMAKER_MAX_POLL_SECONDS, trainingPollSeconds } from '../../domain/polling';

const alone = { elapsedSeconds: 0, concurrentJobs: 1, random: 0.5 };

test('local jobs polled every two seconds', () => {
  expect(trainingPollSeconds('local', { ...alone, concurrentJobs: 50, elapsedSeconds: 7200 })).toBe(2);
});

test('single sagemaker job polled at base', () => {
  expect(trainingPollSeconds('sagemaker', alone)).toBe(30);
});

test('more jobs poll less often', () => {
  // 8 jobs: 30 s × 8 / 4 = 60 s; 20 jobs: 150 s.
  expect(trainingPollSeconds('sagemaker', { ...alone, concurrentJobs: 4 })).toBe(30);
  expect(trainingPollSeconds('sagemaker', { ...alone, concurrentJobs: 8 })).toBe(60);
  expect(trainingPollSeconds('sagemaker', { ...alone, concurrentJobs: 20 })).toBe(150);
});

test('old jobs poll half as often', () => {
  expect(trainingPollSeconds('sagemaker', { ...alone, elapsedSeconds: 3599 })).toBe(30);
  expect(trainingPollSeconds('sagemaker', { ...alone, elapsedSeconds: 3600 })).toBe(60);
});

test('jitter spans ten percent each way', () => {
  expect(trainingPollSeconds('sagemaker', { ...alone, random: 0 })).toBe(27);
  expect(trainingPollSeconds('sagemaker', { ...alone, random: 0.999999 })).toBe(33);
});

test('wait never exceeds the cap', () => {
  const busy = { elapsedSeconds: 86_400, concurrentJobs: 100, random: 0.999999 };
  expect(trainingPollSeconds('sagemaker', busy)).toBe(SAGEMAKER_MAX_POLL_SECONDS);
});
