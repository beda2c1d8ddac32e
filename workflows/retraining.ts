/**
 * One retraining: a capped training job on the newest data that also
 * evaluates the serving (champion) model on the same validation split, and
 * a verdict on whether the new model is at least as good.
 */
import type { Recommendation, SpecContext } from '../activities/contracts';
import type { TrainingJobSummary } from '../domain/status';
import { runCappedTrainingJob } from './training';

export interface RetrainingInput extends SpecContext {
  sequence: number;
  configuration: Recommendation;
  championArtifacts: string;
}

export interface RetrainingResult {
  job: TrainingJobSummary;
  outcome: 'deployed' | 'kept-current' | 'failed';
  candidateMetric?: number;
  championMetric?: number;
  reason: string;
}

export async function retrainingWorkflow(input: RetrainingInput): Promise<RetrainingResult> {
  const { spec } = input;
  const channels = { ...(spec.retraining.channels ?? spec.training.channels), champion: input.championArtifacts };
  const job = await runCappedTrainingJob(
    {
      spec,
      specDir: input.specDir,
      purpose: 'retraining',
      sequence: input.sequence,
      candidate: input.configuration,
      capUsd: spec.budgets.perTrainingJobUsd,
      channels,
    },
    () => undefined,
  );
  if (job.status !== 'Completed') {
    return { job, outcome: 'failed', reason: `retraining job ${job.name} ended ${job.status}${job.failureReason ? `: ${job.failureReason}` : ''}` };
  }
  return { job, ...judgeChallenger(spec, job) };
}

function judgeChallenger(
  spec: RetrainingInput['spec'],
  job: TrainingJobSummary,
): Omit<RetrainingResult, 'job'> {
  const objective = spec.training.objective;
  if (!objective) {
    return { outcome: 'deployed', reason: 'no objective metric in the spec, so the newest model is deployed' };
  }
  const candidateMetric = job.metrics[objective.metric];
  if (candidateMetric === undefined) {
    return { outcome: 'failed', reason: `the job printed no value for ${objective.metric}` };
  }
  const championName = spec.retraining.championMetric;
  const championMetric = championName ? job.metrics[championName] : undefined;
  if (championMetric === undefined) {
    return {
      outcome: 'deployed',
      candidateMetric,
      reason: `no champion metric${championName ? ` ${championName} in the job's log` : ' configured'}, so the new model is deployed`,
    };
  }
  const atLeastAsGood = objective.goal === 'minimize' ? candidateMetric <= championMetric : candidateMetric >= championMetric;
  const comparison = `${objective.metric} ${candidateMetric} for the new model against ${championMetric} for the serving one`;
  return atLeastAsGood
    ? { outcome: 'deployed', candidateMetric, championMetric, reason: `${comparison}: at least as good` }
    : { outcome: 'kept-current', candidateMetric, championMetric, reason: `${comparison}: worse, serving model kept` };
}
