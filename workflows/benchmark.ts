/**
 * The benchmark: one capped training job per candidate configuration, run in
 * parallel, then a recommendation. A child workflow of the project, so its
 * history stays separate from the long monitoring loop.
 */
import { CancellationScope, defineQuery, setHandler } from '@temporalio/workflow';
import type { Recommendation, SpecContext } from '../activities/contracts';
import type { TrainingJobSummary } from '../domain/status';
import { acts } from './activities';
import { runCappedTrainingJob } from './training';

export type BenchmarkInput = SpecContext;

export interface BenchmarkResult {
  jobs: TrainingJobSummary[];
  recommendation?: Recommendation;
  reason: string;
}

export const benchmarkJobsQuery = defineQuery<TrainingJobSummary[]>('benchmarkJobs');

export async function benchmarkWorkflow(input: BenchmarkInput): Promise<BenchmarkResult> {
  const { spec } = input;
  const jobs: TrainingJobSummary[] = [];
  setHandler(benchmarkJobsQuery, () => jobs.filter(Boolean));

  // One scope for all jobs: if one run fails for good, the others are
  // cancelled, which stops their jobs, before the failure propagates.
  const scope = new CancellationScope();
  const runs = spec.training.candidates.map((candidate, index) =>
    scope.run(() =>
      runCappedTrainingJob(
        { ...input, purpose: 'benchmark', sequence: index + 1, candidate, capUsd: spec.budgets.perTrainingJobUsd },
        (job) => {
          jobs[index] = job;
        },
        { concurrentJobs: spec.training.candidates.length },
      ),
    ),
  );
  try {
    await Promise.all(runs);
  } catch (err) {
    scope.cancel();
    await Promise.allSettled(runs);
    throw err;
  }

  const { recommendation, reason } = await acts.recommend({ spec, jobs });
  return { jobs, recommendation, reason };
}
