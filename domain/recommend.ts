/**
 * The recommendation after a benchmark: the cheapest configuration whose
 * run completed and met the quality target, with notes on rightsizing and
 * spot capacity.
 */
import { INSTANCE_SPECS, smallerInstanceType } from './instances';
import { formatDuration, formatNumber, formatUsd, plural } from './money';
import { SPOT_TRAINING_DISCOUNT } from './prices';

/** The fields of a benchmark training job the recommendation reads (a subset of TrainingJobSummary). */
export interface BenchmarkResult {
  name?: string;
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  status: string;
  costUsd: number;
  durationSeconds: number;
  /** True when the cost cap stopped the job. */
  stopped: boolean;
  /** Why the job failed or was stopped, as the provider reported it. */
  failureReason?: string;
  metrics: Record<string, number>;
  /** CPU in percent of one core per instance, memory in MiB. */
  resourceUsage?: { cpuPercentMax: number; cpuPercentAvg: number; memoryMiBMax: number };
}

/** The spec's training.objective. */
export interface Objective {
  metric: string;
  goal: 'minimize' | 'maximize';
  /** Quality the model must reach: at least this when maximizing, at most when minimizing. */
  target?: number;
}

export interface Recommendation {
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  reason: string;
}

export interface RecommendationResult {
  /** Undefined when no run completed and met the target. */
  recommendation?: Recommendation;
  /** Explanation of the choice, or of why there is none. */
  reason: string;
  /** Rightsizing and spot advice about the recommended configuration. */
  notes: string[];
  /** Warnings, one sentence each: the cheapest completed run missed the quality target or the deadline, or the recommended run missed the deadline. */
  warnings: string[];
}

export interface RecommendOptions {
  /** training.maxRuntimeSeconds: a run that took longer gets a warning. */
  deadlineSeconds?: number;
}

/** Average CPU use, as a share of all vCPUs, below which a smaller instance type is suggested. */
export const LOW_CPU_SHARE = 0.3;

/**
 * Chooses the cheapest run that completed, was not stopped by its cost cap
 * and, when `objective` is given, reported its metric and met the target.
 * Equal costs (to a millionth of a dollar) are broken by the better metric, then the
 * shorter run, then instance type, instance count and on-demand before
 * spot, so the result does not depend on the order of `results`.
 */
export function recommend(results: BenchmarkResult[], objective?: Objective, options: RecommendOptions = {}): RecommendationResult {
  const judged = results.map((result) => ({ result, problem: disqualification(result, objective) }));
  const eligible = judged.filter((j) => j.problem === undefined).map((j) => j.result);
  if (eligible.length === 0) {
    return { reason: noneReason(judged, objective), notes: [], warnings: cheapestWarnings(judged, undefined, objective, options) };
  }

  const best = [...eligible].sort((a, b) => compareRuns(a, b, objective))[0];
  const reason = chosenReason(best, eligible.length, objective);
  return {
    recommendation: { instanceType: best.instanceType, instanceCount: best.instanceCount, spot: best.spot, reason },
    reason,
    notes: [...rightsizingNotes(best), spotNote(best, judged)],
    warnings: cheapestWarnings(judged, best, objective, options),
  };
}

/**
 * Warns when the cheapest run that completed (not stopped by its cost cap)
 * missed the quality target or took longer than the deadline, and when the
 * recommended run took longer than the deadline.
 */
function cheapestWarnings(
  judged: { result: BenchmarkResult; problem?: string }[],
  best: BenchmarkResult | undefined,
  objective: Objective | undefined,
  options: RecommendOptions,
): string[] {
  const completed = judged.filter(({ result }) => result.status === 'Completed' && !result.stopped);
  const cheapest = [...completed].sort((a, b) => compareRuns(a.result, b.result, undefined))[0];
  const warnings: string[] = [];
  if (cheapest?.problem) {
    const extra = best ? ` The recommended ${configurationLabel(best)} costs ${formatUsd(best.costUsd - cheapest.result.costUsd)} more per run.` : '';
    warnings.push(`The cheapest configuration, ${configurationLabel(cheapest.result)} at ${formatUsd(cheapest.result.costUsd)}, missed the quality target: it ${cheapest.problem}.${extra}`);
  }
  const deadline = options.deadlineSeconds;
  if (deadline === undefined) return warnings;
  const late = (run: BenchmarkResult | undefined): boolean => run !== undefined && run.durationSeconds > deadline;
  const deadlineText = `the deadline training.maxRuntimeSeconds (${formatDuration(deadline)})`;
  if (cheapest && late(cheapest.result)) {
    warnings.push(`The cheapest configuration, ${configurationLabel(cheapest.result)}, took ${formatDuration(cheapest.result.durationSeconds)}, longer than ${deadlineText}.`);
  }
  if (best && best !== cheapest?.result && late(best)) {
    warnings.push(`The recommended configuration, ${configurationLabel(best)}, took ${formatDuration(best.durationSeconds)}, longer than ${deadlineText}.`);
  }
  return warnings;
}

/** Returns a provider's failure reason on one line, shortened for a summary. */
function oneLineReason(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** Returns why a run cannot be recommended, or undefined when it can. */
function disqualification(result: BenchmarkResult, objective: Objective | undefined): string | undefined {
  if (result.stopped) return 'was stopped by its cost cap';
  if (result.status !== 'Completed') return `ended ${result.status}${result.failureReason ? ` (${oneLineReason(result.failureReason)})` : ''}`;
  if (!objective) return undefined;
  const value = result.metrics[objective.metric];
  if (value === undefined || !Number.isFinite(value)) return `reported no ${objective.metric}`;
  if (!meetsTarget(value, objective)) return `reached ${objective.metric} ${formatNumber(value, 4)}, short of the target ${targetText(objective)}`;
  return undefined;
}

function meetsTarget(value: number, objective: Objective): boolean {
  if (objective.target === undefined) return true;
  return objective.goal === 'maximize' ? value >= objective.target : value <= objective.target;
}

function targetText(objective: Objective): string {
  return `${objective.goal === 'maximize' ? '>=' : '<='} ${objective.target}`;
}

/**
 * Rounds to a millionth of a dollar: benchmark runs often cost fractions of
 * a cent, so rounding to cents would make them all tie.
 */
function toMicroUsd(usd: number): number {
  return Math.round(usd * 1e6);
}

function compareRuns(a: BenchmarkResult, b: BenchmarkResult, objective: Objective | undefined): number {
  return (
    toMicroUsd(a.costUsd) - toMicroUsd(b.costUsd) ||
    compareMetric(a, b, objective) ||
    a.durationSeconds - b.durationSeconds ||
    compareText(a.instanceType, b.instanceType) ||
    a.instanceCount - b.instanceCount ||
    Number(a.spot) - Number(b.spot) ||
    compareText(a.name ?? '', b.name ?? '')
  );
}

/** Code-unit order, independent of the runtime's locale data. */
function compareText(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Negative when `a` has the better metric. */
function compareMetric(a: BenchmarkResult, b: BenchmarkResult, objective: Objective | undefined): number {
  if (!objective) return 0;
  const difference = a.metrics[objective.metric] - b.metrics[objective.metric];
  return objective.goal === 'maximize' ? -difference : difference;
}

/** `2 × ml.m5.large spot`: the configuration of a run as one label. */
export function configurationLabel(run: { instanceType: string; instanceCount: number; spot: boolean }): string {
  return `${run.instanceCount} × ${run.instanceType} ${run.spot ? 'spot' : 'on-demand'}`;
}

function chosenReason(best: BenchmarkResult, eligibleCount: number, objective: Objective | undefined): string {
  const quality = objective ? `, ${objective.metric} ${formatNumber(best.metrics[objective.metric], 4)}` : '';
  const criterion = !objective
    ? 'completed'
    : objective.target === undefined
      ? `completed with ${objective.metric} (no target set)`
      : `completed and met ${objective.metric} ${targetText(objective)}`;
  return (
    `${configurationLabel(best)} is the cheapest of ${plural(eligibleCount, 'configuration')} that ${criterion}: ` +
    `${formatUsd(best.costUsd)} in ${formatDuration(best.durationSeconds)}${quality}.`
  );
}

function noneReason(judged: { result: BenchmarkResult; problem?: string }[], objective: Objective | undefined): string {
  if (judged.length === 0) return 'No configuration can be recommended: the benchmark has no results.';
  const requirement = objective?.target === undefined ? 'completed' : `met ${objective.metric} ${targetText(objective)}`;
  const details = judged.map(({ result, problem }) => `${configurationLabel(result)} ${problem}`).join('; ');
  return `No configuration can be recommended: none of the ${plural(judged.length, 'run')} ${requirement}. ${details}.`;
}

/**
 * Suggests a smaller type when the run used less than LOW_CPU_SHARE of its
 * vCPUs on average. Only types listed in INSTANCE_SPECS are judged; GPU use
 * is not measured, so GPU types get a reminder instead of a suggestion.
 */
function rightsizingNotes(run: BenchmarkResult): string[] {
  const usage = run.resourceUsage;
  const spec = INSTANCE_SPECS[run.instanceType];
  if (!usage) return [`No resource usage was recorded for ${run.instanceType}, so rightsizing was not judged.`];
  if (!spec) {
    return [`CPU peaked at ${formatNumber(usage.cpuPercentMax, 0)} % of one core; ${run.instanceType} is not in the instance table, so rightsizing was not judged.`];
  }

  const cpuShare = usage.cpuPercentAvg / (spec.vcpus * 100);
  const memoryGiB = usage.memoryMiBMax / 1024;
  const usageText =
    `CPU averaged ${formatNumber(cpuShare * 100, 0)} % of the ${spec.vcpus} vCPUs of ${run.instanceType} ` +
    `(peak ${formatNumber(usage.cpuPercentMax, 0)} % of one core) and memory peaked at ` +
    `${formatNumber(memoryGiB, 1)} GiB of ${spec.memoryGiB} GiB.`;
  if (spec.gpus > 0) return [`${usageText} GPU use was not measured; check it before choosing a smaller GPU type.`];
  if (cpuShare >= LOW_CPU_SHARE) return [usageText];

  const smaller = smallerInstanceType(run.instanceType);
  if (!smaller) return [`${usageText} CPU use is low, but the table lists no smaller type of this family.`];
  const smallerSpec = INSTANCE_SPECS[smaller];
  if (memoryGiB > smallerSpec.memoryGiB * 0.8) {
    return [`${usageText} CPU use is low, but ${smaller} (${smallerSpec.memoryGiB} GiB) would leave too little memory headroom.`];
  }
  return [`${usageText} CPU use is low: ${smaller} may do at a lower price; add it to training.candidates to benchmark it.`];
}

function spotNote(best: BenchmarkResult, judged: { result: BenchmarkResult; problem?: string }[]): string {
  const discount = `${Math.round(SPOT_TRAINING_DISCOUNT * 100)} %`;
  if (best.spot) {
    return (
      'The recommended configuration uses managed spot training: it can be interrupted, so training must checkpoint. ' +
      'Endpoints have no spot capacity, so the deployment itself runs on-demand.'
    );
  }
  const spotRun = judged.find(({ result: r }) => r.spot && r.instanceType === best.instanceType && r.instanceCount === best.instanceCount);
  if (spotRun?.problem) {
    return `The spot run of the same configuration ${spotRun.problem}, so on-demand is recommended.`;
  }
  if (spotRun) {
    return `The spot run of the same configuration cost ${formatUsd(spotRun.result.costUsd)}, not less than on-demand, so on-demand is recommended.`;
  }
  return (
    `Managed spot training usually costs about ${discount} less (about ${formatUsd(best.costUsd * (1 - SPOT_TRAINING_DISCOUNT))} for this run) ` +
    'if the training script checkpoints; add spot: true to a candidate to benchmark it.'
  );
}
