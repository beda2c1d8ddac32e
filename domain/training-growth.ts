/**
 * Training cost per run for every measured configuration, and how run time
 * and cost grow with the data. The benchmark gives the time per GB of each
 * configuration: run time ÷ dataScale.sizeGb. The projection scales run
 * time and cost linearly with the data size. That is an estimate, because
 * many algorithms grow faster than linearly and fixed start-up time does
 * not grow at all.
 */
import type { CostEstimate } from './estimate';
import { RETRAININGS_PER_MONTH } from './estimate';
import { formatDuration, formatNumber, formatUsd, HOURS_PER_MONTH } from './money';
import { configurationLabel } from './recommend';
import type { ProjectSpec } from './spec';
import type { TrainingJobSummary } from './status';

/** Months from now of each projection: now, in 6 months and in 12 months. */
export const GROWTH_MONTHS = [0, 6, 12] as const;

/** The data scale and the limits a projected run is checked against. */
export interface DataGrowth {
  /** dataScale.sizeGb: the size the benchmark trained on. */
  sizeGb: number;
  growthGbPerMonth: number;
  /** training.maxRuntimeSeconds: SageMaker stops a run that takes longer. */
  deadlineSeconds?: number;
  /** budgets.perTrainingJobUsd: the cost cap stops a run that costs more. */
  perRunBudgetUsd?: number;
  /** Retraining runs per 730-hour month from dataScale.updateFrequency. */
  retrainingsPerMonth?: number;
}

/** The fields of a training job the projection reads. */
export type MeasuredRun = Pick<
  TrainingJobSummary,
  'name' | 'instanceType' | 'instanceCount' | 'spot' | 'status' | 'durationSeconds' | 'costUsd' | 'stopped'
>;

export interface RunProjection {
  months: number;
  /** sizeGb + growthGbPerMonth × months. */
  sizeGb: number;
  /** secondsPerGb × sizeGb. */
  durationSeconds: number;
  /** costPerGbUsd × sizeGb. */
  costUsd: number;
  /** costUsd × retrainingsPerMonth; undefined when the frequency is unknown. */
  retrainingUsdPerMonth?: number;
  overDeadline: boolean;
  overBudget: boolean;
}

export interface ConfigurationGrowth {
  jobName: string;
  /** Such as `1 × ml.m5.large on-demand`. */
  configuration: string;
  /** Cost of the measured run: the cost per training run at today's data size. */
  costPerRunUsd: number;
  durationSeconds: number;
  /** Run time per GB of data; undefined when dataScale.sizeGb is 0. */
  secondsPerGb?: number;
  costPerGbUsd?: number;
  /** One per GROWTH_MONTHS entry; empty when dataScale.sizeGb is 0. */
  projections: RunProjection[];
}

export interface TrainingGrowth {
  growth: DataGrowth;
  configurations: ConfigurationGrowth[];
  /** Runs left out of the projection, each with the reason. */
  skipped: { jobName: string; reason: string }[];
  /** Projected runs that pass the deadline or the per-run budget, one sentence each, the earliest month per configuration. */
  warnings: string[];
}

/** Returns the data growth figures of a spec. */
export function dataGrowthFromSpec(spec: ProjectSpec): DataGrowth {
  const { sizeGb, growthGbPerMonth, updateFrequency } = spec.requirements.dataScale;
  return {
    sizeGb,
    growthGbPerMonth,
    deadlineSeconds: spec.training.maxRuntimeSeconds,
    perRunBudgetUsd: spec.budgets.perTrainingJobUsd,
    retrainingsPerMonth: RETRAININGS_PER_MONTH[updateFrequency],
  };
}

/**
 * Returns the data growth figures recorded in a cost estimate, for readers
 * without the spec (the report). The growth per month is recovered from
 * the storage line's start and end sizes, and the deadline is unknown.
 */
export function dataGrowthFromEstimate(estimate: CostEstimate): DataGrowth {
  const { startGb, endGb } = estimate.storage;
  const months = estimate.horizonHours / HOURS_PER_MONTH;
  const perRunBudget = estimate.budgetChecks?.find((check) => check.budget === 'budgets.perTrainingJobUsd');
  return {
    sizeGb: startGb,
    growthGbPerMonth: months > 0 ? (endGb - startGb) / months : 0,
    perRunBudgetUsd: perRunBudget?.budgetUsd,
    retrainingsPerMonth: estimate.monthly?.retrainingsPerMonth,
  };
}

/**
 * Projects every completed run that its cost cap did not stop. Other runs
 * are listed in `skipped`, because their duration is not the time a whole
 * run takes.
 */
export function projectTrainingGrowth(runs: MeasuredRun[], growth: DataGrowth): TrainingGrowth {
  const configurations: ConfigurationGrowth[] = [];
  const skipped: TrainingGrowth['skipped'] = [];
  const warnings: string[] = [];

  for (const run of runs) {
    const problem = skipReason(run);
    if (problem) {
      skipped.push({ jobName: run.name, reason: problem });
      continue;
    }
    const configuration = projectRun(run, growth);
    configurations.push(configuration);
    warnings.push(...growthWarnings(configuration, growth));
  }
  return { growth, configurations, skipped, warnings };
}

function skipReason(run: MeasuredRun): string | undefined {
  if (run.stopped) return 'stopped by its cost cap, so its run time is only a lower bound';
  if (run.status !== 'Completed') return `ended ${run.status}`;
  return undefined;
}

function projectRun(run: MeasuredRun, growth: DataGrowth): ConfigurationGrowth {
  const base: ConfigurationGrowth = {
    jobName: run.name,
    configuration: configurationLabel(run),
    costPerRunUsd: run.costUsd,
    durationSeconds: run.durationSeconds,
    projections: [],
  };
  if (!(growth.sizeGb > 0)) return base;

  const secondsPerGb = run.durationSeconds / growth.sizeGb;
  const costPerGbUsd = run.costUsd / growth.sizeGb;
  const projections = GROWTH_MONTHS.map((months): RunProjection => {
    const sizeGb = growth.sizeGb + growth.growthGbPerMonth * months;
    const durationSeconds = secondsPerGb * sizeGb;
    const costUsd = costPerGbUsd * sizeGb;
    return {
      months,
      sizeGb,
      durationSeconds,
      costUsd,
      retrainingUsdPerMonth: growth.retrainingsPerMonth === undefined ? undefined : costUsd * growth.retrainingsPerMonth,
      overDeadline: growth.deadlineSeconds !== undefined && durationSeconds > growth.deadlineSeconds,
      overBudget: growth.perRunBudgetUsd !== undefined && costUsd > growth.perRunBudgetUsd,
    };
  });
  return { ...base, secondsPerGb, costPerGbUsd, projections };
}

function growthWarnings(configuration: ConfigurationGrowth, growth: DataGrowth): string[] {
  const warnings: string[] = [];
  const late = configuration.projections.find((p) => p.overDeadline);
  if (late && growth.deadlineSeconds !== undefined) {
    warnings.push(
      `${when(late)} a run on ${configuration.configuration} would take about ${formatDuration(late.durationSeconds)}, longer than ` +
        `training.maxRuntimeSeconds (${formatDuration(growth.deadlineSeconds)}), so SageMaker would stop it; ` +
        'raise the limit or choose a faster configuration.',
    );
  }
  const dear = configuration.projections.find((p) => p.overBudget);
  if (dear && growth.perRunBudgetUsd !== undefined) {
    warnings.push(
      `${when(dear)} a run on ${configuration.configuration} would cost about ${formatUsd(dear.costUsd)}, above ` +
        `budgets.perTrainingJobUsd (${formatUsd(growth.perRunBudgetUsd)}), so its cost cap would stop it.`,
    );
  }
  return warnings;
}

/** `With today's 10 GB,` or `In 6 months, at 22 GB,`: the start of a warning about one projection. */
function when(projection: RunProjection): string {
  const size = `${formatNumber(projection.sizeGb, 3)} GB`;
  return projection.months === 0 ? `With today's ${size},` : `In ${projection.months} months, at ${size},`;
}
