/**
 * Runs one training job under a cost cap: starts it, polls it with timers
 * and short activities, and lets the check stop it before the cap is passed.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import type { StartTrainingInput } from '../activities/contracts';
import type { TrainingJobSummary } from '../domain/status';
import { acts } from './activities';

/** Seconds between two checks of a running job. */
export function trainingPollSeconds(provider: string): number {
  return provider === 'local' ? 2 : 30;
}

/**
 * Runs the job to a terminal status. `onUpdate` receives every new
 * description. When the calling scope is cancelled, the job is stopped
 * before the cancellation propagates, so nothing keeps billing.
 */
export async function runCappedTrainingJob(
  input: StartTrainingInput,
  onUpdate: (job: TrainingJobSummary) => void,
): Promise<TrainingJobSummary> {
  const pollSeconds = trainingPollSeconds(input.spec.provider);
  let job = await acts.startTrainingJob(input);
  onUpdate(job);
  let stoppedForCap = false;
  try {
    for (;;) {
      const check = await acts.checkTrainingJob({
        name: job.name,
        capUsd: input.capUsd,
        pricePerHourUsd: job.pricePerHourUsd,
        instanceCount: job.instanceCount,
        pollSeconds,
      });
      stoppedForCap ||= check.stoppedForCap;
      job = { ...check.job, stopped: check.job.stopped || stoppedForCap };
      onUpdate(job);
      if (check.terminal) return job;
      await sleep(`${pollSeconds}s`);
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(async () => {
        onUpdate(await acts.stopTrainingJob(job.name));
      });
    }
    throw err;
  }
}
