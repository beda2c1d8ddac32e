/**
 * Runs one training job under a cost cap: starts it, polls it with timers
 * and short activities, and lets the check stop it before the cap is passed.
 */
import { CancellationScope, getExternalWorkflowHandle, isCancellation, sleep, workflowInfo } from '@temporalio/workflow';
import type { StartTrainingInput } from '../activities/contracts';
import { trainingPollSeconds } from '../domain/polling';
import { providerTarget } from '../domain/provider-target';
import type { TrainingJobSummary } from '../domain/status';
import { acts } from './activities';
import { trainingJobSignal } from './messages';


/**
 * Runs the job to a terminal status. `onJobChange` receives every new
 * description, and the parent project is signalled when the status or cost changes. When the calling scope is cancelled, the job is stopped
 * before the cancellation propagates, so nothing keeps billing.
 */
export async function runCappedTrainingJob(
  input: StartTrainingInput,
  onJobChange: (job: TrainingJobSummary) => void,
  options: { concurrentJobs?: number } = {},
): Promise<TrainingJobSummary> {
  let reported = '';
  const onUpdate = (job: TrainingJobSummary) => {
    onJobChange(job);
    const digest = `${job.status}|${job.stopped}|${job.costUsd.toFixed(4)}`;
    if (digest !== reported) {
      reported = digest;
      reportToParent(job);
    }
  };
  const target = providerTarget(input.spec);
  const pollContext = (job: TrainingJobSummary) => ({
    elapsedSeconds: job.durationSeconds,
    concurrentJobs: options.concurrentJobs ?? 1,
    random: Math.random(),
  });
  let job = await acts.startTrainingJob(input);
  onUpdate(job);
  let stoppedForCap = false;
  try {
    for (;;) {
      const pollSeconds = trainingPollSeconds(input.spec.provider, pollContext(job));
      const check = await acts.checkTrainingJob({
        name: job.name,
        target,
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
        onUpdate(await acts.stopTrainingJob({ name: job.name, target }));
      });
    }
    throw err;
  }
}

/** Signals the job to the parent project, so its status shows the job while this child runs. Without a parent it does nothing. */
function reportToParent(job: TrainingJobSummary): void {
  const parent = workflowInfo().parent;
  if (!parent) return;
  getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(trainingJobSignal, job)
    .catch(() => undefined);
}
