/**
 * How often a workflow checks a running training job. Pure, so workflows
 * import it. On SageMaker every DescribeTrainingJob counts against the
 * account's API rate, so checks slow down as more jobs run at once and as a
 * job grows old, with jitter so that parallel jobs do not poll in step.
 */

export interface PollContext {
  /** Seconds since the job started. */
  elapsedSeconds: number;
  /** Training jobs the same workflow polls at once, such as the benchmark's candidates. */
  concurrentJobs: number;
  /** A number in [0, 1): Math.random in a workflow, which is deterministic there. */
  random: number;
}

/** Seconds between checks on SageMaker for one job polled alone during its first hour. */
export const SAGEMAKER_BASE_POLL_SECONDS = 30;
/** Upper bound of the wait between two checks on SageMaker, so the cost cap stays close. */
export const SAGEMAKER_MAX_POLL_SECONDS = 300;

/**
 * Returns the seconds until the next check. Local jobs are checked every
 * 2 s. On SageMaker the base of 30 s grows with the number of jobs polled
 * at once beyond four, doubles after a job's first hour, varies by ±10 %
 * and is capped at 300 s. The cost-cap check uses this wait to stop a
 * job that would pass its cap before the next check.
 */
export function trainingPollSeconds(provider: string, context: PollContext): number {
  if (provider === 'local') return 2;
  const perJobs = SAGEMAKER_BASE_POLL_SECONDS * Math.max(1, context.concurrentJobs / 4);
  const aged = context.elapsedSeconds >= 3600 ? perJobs * 2 : perJobs;
  const jittered = Math.round(aged * (0.9 + 0.2 * context.random));
  return Math.min(SAGEMAKER_MAX_POLL_SECONDS, jittered);
}
