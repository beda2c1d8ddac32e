/**
 * Training jobs of the local provider, run as real detached processes in a
 * temporary state folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError, ResourceNotFoundError, readLedger } from '../../../../activities/provider/local';
import * as runtime from '../../../../activities/provider/local/runtime';
import type { TrainingJobDescription } from '../../../../activities/provider/types';
import { TAG_KEYS } from '../../../../domain/constants';
import { FIXTURES, killLeftovers, makeProvider, makeStateDir, processesOf, readLock, trainingRequest, waitFor } from './support';

const stateDir = makeStateDir('training');
const provider = makeProvider(stateDir);
const jobDir = (name: string) => path.join(stateDir, 'compute', 'training-jobs', name);
const isTerminal = (job: TrainingJobDescription) => ['Completed', 'Failed', 'Stopped'].includes(job.status);
const finished = (name: string) => waitFor(() => provider.describeTrainingJob(name), isTerminal, `job ${name} to end`);
const training = (name: string) =>
  waitFor(() => provider.describeTrainingJob(name), (job) => job.secondaryStatus === 'Training', `job ${name} to train`);

afterAll(() => {
  expect(killLeftovers(stateDir)).toEqual([]);
});

test('job completes with metrics and environment', async () => {
  fs.mkdirSync(path.join(stateDir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(stateDir, 'data', 'rows.csv'), 'a,b\n1,2\n');
  process.env.MLOPS_TEST_SECRET = 'must-not-leak';
  const created = await provider.createTrainingJob(
    trainingRequest('completes', {
      channels: { train: path.join(stateDir, 'data'), 'single-file': path.join(stateDir, 'data', 'rows.csv') },
      hyperparameters: { nEstimators: '50', label: 'mpg' },
      instanceCount: 2,
    }),
  );
  delete process.env.MLOPS_TEST_SECRET;
  expect(created.status).toBe('InProgress');

  const job = await finished('completes');
  expect(job.status).toBe('Completed');
  expect(job.metrics).toEqual({ loss: 0.25, 'validation:accuracy': 0.9 });
  expect(job.billableSeconds).toBeGreaterThan(0);
  expect(job.costUsd).toBeCloseTo((36 / 3600) * job.billableSeconds, 10);
  expect(job.endTime).toBeDefined();
  expect(job.stopRequested).toBe(false);
  expect(fs.readFileSync(path.join(job.modelArtifacts!, 'model.txt'), 'utf8')).toBe('trained');

  const env = JSON.parse(fs.readFileSync(path.join(job.modelArtifacts!, 'env.json'), 'utf8'));
  expect(env.SM_MODEL_DIR).toBe(job.modelArtifacts);
  expect(env.SM_OUTPUT_DATA_DIR).toBe(job.outputDataPath);
  expect(env.SM_CHANNEL_TRAIN).toBe(path.join(stateDir, 'data'));
  expect(fs.readdirSync(env['SM_CHANNEL_SINGLE-FILE'])).toEqual(['rows.csv']);
  expect(JSON.parse(env.SM_CHANNELS)).toEqual(['single-file', 'train']);
  expect(JSON.parse(env.SM_HPS)).toEqual({ nEstimators: 50, label: 'mpg' });
  expect(env.SM_HP_NESTIMATORS).toBe('50');
  expect(env.SM_CURRENT_HOST).toBe('algo-1');
  expect(JSON.parse(env.SM_HOSTS)).toEqual(['algo-1']);
  expect(Number(env.SM_NUM_CPUS)).toBeGreaterThan(0);
  expect(JSON.parse(env.SM_TRAINING_ENV).job_name).toBe('completes');
  expect(env.TRAINING_JOB_NAME).toBe('completes');
  expect(env.MLOPS_TEST_SECRET).toBeUndefined();
});

test('resource usage sampled while training', async () => {
  await provider.createTrainingJob(trainingRequest('sampled', { hyperparameters: { sleepSeconds: '1' } }));
  const job = await finished('sampled');
  expect(job.status).toBe('Completed');
  expect(job.resourceUsage).toBeDefined();
  expect(job.resourceUsage!.memoryMiBMax).toBeGreaterThan(1);
  expect(job.resourceUsage!.cpuPercentMax).toBeGreaterThanOrEqual(job.resourceUsage!.cpuPercentAvg);
});

test('same name twice starts one runner', async () => {
  const otherWorker = makeProvider(stateDir);
  const request = trainingRequest('once', { hyperparameters: { sleepSeconds: '30' } });
  const [first, second] = await Promise.all([provider.createTrainingJob(request), otherWorker.createTrainingJob(request)]);
  expect(first.name).toBe('once');
  expect(second.name).toBe('once');
  await training('once');
  const again = await provider.createTrainingJob({ ...request, instanceType: 'ml.c5.xlarge' });
  expect(again.instanceType).toBe('ml.m5.large');

  expect(readLock(jobDir('once'), 'attempt')?.n).toBe(1);
  expect(runtime.findMarkedProcesses(`${jobDir('once')}#runner-`, true)).toHaveLength(1);
  expect(runtime.findMarkedProcesses(`${jobDir('once')}#1`, false)).toHaveLength(1);

  await provider.stopTrainingJob('once');
  expect((await finished('once')).status).toBe('Stopped');
});

test('stop ends a slow job', async () => {
  const startedAt = Date.now();
  await provider.createTrainingJob(trainingRequest('slow', { hyperparameters: { sleepSeconds: '120' } }));
  await training('slow');

  const stopping = await provider.stopTrainingJob('slow');
  expect(stopping.status).toBe('Stopping');
  expect(stopping.stopRequested).toBe(true);

  const job = await finished('slow');
  const observedSeconds = (Date.now() - startedAt) / 1000;
  expect(job.status).toBe('Stopped');
  expect(job.stopRequested).toBe(true);
  expect(job.billableSeconds).toBeGreaterThan(0);
  expect(job.billableSeconds).toBeLessThanOrEqual(observedSeconds);
  expect(job.costUsd).toBeCloseTo((36 / 3600) * job.billableSeconds, 10);
  expect(job.modelArtifacts).toBeUndefined();
  // The runner writes the final status, then exits: give it a moment.
  await waitFor(async () => processesOf(jobDir('slow')).length, (n) => n === 0, 'the job processes to exit', 10_000);

  const again = await provider.stopTrainingJob('slow');
  expect(again.status).toBe('Stopped');
  expect(again.billableSeconds).toBe(job.billableSeconds);
});

test('stop kills a job ignoring SIGTERM', async () => {
  await provider.createTrainingJob(trainingRequest('stubborn', { hyperparameters: { sleepSeconds: '120', ignoreSigterm: 'true' } }));
  await training('stubborn');
  await provider.stopTrainingJob('stubborn');
  const job = await finished('stubborn');
  expect(job.status).toBe('Stopped');
  expect(fs.readFileSync(path.join(jobDir('stubborn'), 'training.log'), 'utf8')).toContain('ignoring SIGTERM');
  // The runner writes the final status, then exits: give it a moment.
  await waitFor(async () => processesOf(jobDir('stubborn')).length, (n) => n === 0, 'the job processes to exit', 10_000);
});

test('maxRuntime backstop stops the job', async () => {
  await provider.createTrainingJob(trainingRequest('capped', { maxRuntimeSeconds: 1, hyperparameters: { sleepSeconds: '120' } }));
  const job = await finished('capped');
  expect(job.status).toBe('Stopped');
  expect(job.secondaryStatus).toBe('MaxRuntimeExceeded');
  expect(job.stopRequested).toBe(false);
  expect(job.failureReason).toContain('maxRuntimeSeconds of 1 s');
  // The runner writes the final status, then exits: give it a moment.
  await waitFor(async () => processesOf(jobDir('capped')).length, (n) => n === 0, 'the job processes to exit', 10_000);
});

test('failing command reports its output', async () => {
  await provider.createTrainingJob(trainingRequest('fails', { hyperparameters: { exitCode: '3' } }));
  const job = await finished('fails');
  expect(job.status).toBe('Failed');
  expect(job.failureReason).toContain('exited with code 3');
  expect(job.failureReason).toContain('boom: the fixture failed on purpose');
  expect(job.failureReason!.length).toBeLessThanOrEqual(1024);
});

test('missing command fails the job', async () => {
  await provider.createTrainingJob(trainingRequest('no-command', { command: ['definitely-not-a-command-xyz'] }));
  const job = await finished('no-command');
  expect(job.status).toBe('Failed');
  expect(job.failureReason).toContain('could not start the training command "definitely-not-a-command-xyz"');
});

test('killed runner restarts the job', async () => {
  await provider.createTrainingJob(trainingRequest('restarts', { hyperparameters: { sleepSeconds: '2' } }));
  await training('restarts');
  const runnerPid = readLock(jobDir('restarts'), 'attempt')!.pid!;
  process.kill(runnerPid, 'SIGKILL');
  await waitFor(async () => runtime.isOwnProcess(runnerPid, 'job-runner.js', [stateDir, 'restarts', 1]), (alive) => !alive, 'the runner to die');

  const restarted = await provider.describeTrainingJob('restarts');
  expect(restarted.status).toBe('InProgress');
  expect(restarted.secondaryStatus).toBe('Restarting');
  expect(readLock(jobDir('restarts'), 'attempt')?.n).toBe(2);
  expect(runtime.findMarkedProcesses(`${jobDir('restarts')}#1`, false)).toEqual([]);

  const job = await finished('restarts');
  expect(job.status).toBe('Completed');
  const log = fs.readFileSync(path.join(jobDir('restarts'), 'training.log'), 'utf8');
  expect(log.match(/\[mlops-local\] attempt \d/g)).toEqual(['[mlops-local] attempt 1', '[mlops-local] attempt 2']);

  const ledger = readLedger(stateDir).filter((entry) => entry.resource === 'restarts');
  expect(new Set(ledger.map((entry) => entry.attempt))).toEqual(new Set([1, 2]));
  const billedUsd = ledger.reduce((sum, entry) => sum + entry.usd, 0);
  expect(billedUsd).toBeCloseTo(job.costUsd, 6);
});

test('runner dying repeatedly fails the job', async () => {
  const strict = makeProvider(stateDir, { maxJobAttempts: 2 });
  await strict.createTrainingJob(trainingRequest('keeps-dying', { hyperparameters: { sleepSeconds: '120' } }));
  for (const attempt of [1, 2]) {
    await waitFor(() => strict.describeTrainingJob('keeps-dying'), (job) => job.secondaryStatus === 'Training', `attempt ${attempt} to train`);
    const lock = readLock(jobDir('keeps-dying'), 'attempt')!;
    expect(lock.n).toBe(attempt);
    process.kill(lock.pid!, 'SIGKILL');
    await waitFor(async () => runtime.isOwnProcess(lock.pid, 'job-runner.js', [stateDir, 'keeps-dying', attempt]), (alive) => !alive, 'the runner to die');
  }
  const job = await strict.describeTrainingJob('keeps-dying');
  expect(job.status).toBe('Failed');
  expect(job.failureReason).toContain('ended without finishing 2 times');
  // The runner writes the final status, then exits: give it a moment.
  await waitFor(async () => processesOf(jobDir('keeps-dying')).length, (n) => n === 0, 'the job processes to exit', 10_000);
});

test('stop while runner gone ends Stopped', async () => {
  await provider.createTrainingJob(trainingRequest('orphaned', { hyperparameters: { sleepSeconds: '120' } }));
  await training('orphaned');
  const lock = readLock(jobDir('orphaned'), 'attempt')!;
  process.kill(lock.pid!, 'SIGKILL');
  await waitFor(async () => runtime.isOwnProcess(lock.pid, 'job-runner.js', [stateDir, 'orphaned', 1]), (alive) => !alive, 'the runner to die');

  const job = await provider.stopTrainingJob('orphaned');
  expect(job.status).toBe('Stopped');
  expect(job.stopRequested).toBe(true);
  expect(readLock(jobDir('orphaned'), 'attempt')?.pid).toBeUndefined();
  // The runner writes the final status, then exits: give it a moment.
  await waitFor(async () => processesOf(jobDir('orphaned')).length, (n) => n === 0, 'the job processes to exit', 10_000);
});

test('invalid requests are rejected', async () => {
  const cases: [string, Parameters<typeof trainingRequest>[1], string][] = [
    ['bad_name!', {}, 'training job name "bad_name!" is invalid'],
    ['s3-channel', { channels: { train: 's3://bucket/data' } }, 'local paths only'],
    ['missing-channel', { channels: { train: 'no-such-folder' } }, `${path.join(FIXTURES, 'no-such-folder')} does not exist`],
    ['no-group', { metricDefinitions: [{ name: 'loss', regex: 'loss=[0-9.]+' }] }, 'has no capture group'],
    ['no-runtime', { maxRuntimeSeconds: 0 }, 'maxRuntimeSeconds 0 is invalid'],
    ['bad-type', { instanceType: 'm5.large' }, 'instance type "m5.large" is invalid'],
  ];
  for (const [name, overrides, message] of cases) {
    const attempt = provider.createTrainingJob(trainingRequest(name, overrides));
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(provider.createTrainingJob(trainingRequest(name, overrides))).rejects.toThrow(message);
  }
});

test('unknown job is not found', async () => {
  await expect(provider.describeTrainingJob('never-created')).rejects.toThrow(ResourceNotFoundError);
  await expect(provider.stopTrainingJob('never-created')).rejects.toThrow('training job never-created not found');
});

test('project spend sums tagged jobs', async () => {
  const spendStateDir = makeStateDir('spend');
  const own = makeProvider(spendStateDir);
  try {
    await own.createTrainingJob(trainingRequest('alpha-1', { tags: { [TAG_KEYS.project]: 'alpha' }, hyperparameters: { sleepSeconds: '1' } }));
    await own.createTrainingJob(trainingRequest('alpha-2', { tags: { [TAG_KEYS.project]: 'alpha' }, pricePerHourUsd: 72 }));
    await own.createTrainingJob(trainingRequest('beta-1', { tags: { [TAG_KEYS.project]: 'beta' } }));
    const jobs: Record<string, TrainingJobDescription> = {};
    for (const name of ['alpha-1', 'alpha-2', 'beta-1']) {
      jobs[name] = await waitFor(() => own.describeTrainingJob(name), isTerminal, `job ${name} to end`);
    }

    const alpha = await own.getProjectSpend('alpha');
    expect(Object.keys(alpha.byResource).sort()).toEqual(['alpha-1', 'alpha-2']);
    expect(alpha.byResource['alpha-1']).toBeCloseTo(jobs['alpha-1'].costUsd, 8);
    expect(alpha.byResource['alpha-2']).toBeCloseTo(jobs['alpha-2'].costUsd, 8);
    expect(alpha.totalUsd).toBeCloseTo(jobs['alpha-1'].costUsd + jobs['alpha-2'].costUsd, 8);
    expect((await own.getProjectSpend('beta')).totalUsd).toBeCloseTo(jobs['beta-1'].costUsd, 8);
    expect(await own.getProjectSpend('gamma')).toEqual({ totalUsd: 0, byResource: {} });
  } finally {
    expect(killLeftovers(spendStateDir)).toEqual([]);
  }
});
