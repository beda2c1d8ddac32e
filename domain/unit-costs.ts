/**
 * Cost per unit of work, as the deployment review and the cost report show
 * it: the load tests, the endpoint sizing with the cost per 1,000
 * predictions of each measured hosting type, and the cost per training run
 * as the data grows. Cells are preformatted text.
 */
import { formatDuration, formatNumber, formatPrice, formatUsd, plural } from './money';
import type { PriceTable } from './prices';
import {
  compareHosting,
  type HostingComparison,
  type HostingMeasurement,
  type LoadPlan,
  loadPlanFromSpec,
  measurementFromLoadTest,
  measurementFromSpec,
} from './sizing';
import type { ProjectSpec } from './spec';
import type { LoadTestResult, SummaryTable } from './status';
import { type DataGrowth, dataGrowthFromSpec, GROWTH_MONTHS, type MeasuredRun, projectTrainingGrowth, type TrainingGrowth } from './training-growth';

export interface UnitCostInput {
  loadTests?: LoadTestResult[];
  /** Figures from the spec, used for sizing when there is no load test. */
  specMeasurement?: HostingMeasurement;
  /** Undefined when the load is unknown (an estimate without sizing figures); then nothing is sized. */
  plan?: LoadPlan;
  /** Benchmark runs; the projection uses the completed ones. */
  runs: MeasuredRun[];
  growth: DataGrowth;
}

/** Plain JSON: it is part of the report model. */
export interface UnitCostAnalysis {
  loadTests: LoadTestResult[];
  /** Undefined without a load plan or without any measurement. */
  hosting?: HostingComparison;
  training: TrainingGrowth;
  /** Sizing and growth warnings, one sentence each. */
  warnings: string[];
}

/** Sizes the measured hosting types and projects the training runs. */
export function analyseUnitCosts(input: UnitCostInput): UnitCostAnalysis {
  const loadTests = input.loadTests ?? [];
  let measurements = loadTests.map(measurementFromLoadTest);
  if (measurements.length === 0 && input.specMeasurement) measurements = [input.specMeasurement];
  const hosting = input.plan && measurements.length > 0 ? compareHosting(measurements, input.plan) : undefined;
  const training = projectTrainingGrowth(input.runs, input.growth);
  return {
    loadTests,
    hosting,
    training,
    warnings: [...(hosting?.sizings.flatMap((sizing) => sizing.warnings) ?? []), ...training.warnings],
  };
}

/** Builds the load test, sizing and training-growth tables; a table without rows is left out. */
export function unitCostTables(analysis: UnitCostAnalysis): SummaryTable[] {
  const tables = [loadTestTable(analysis.loadTests), analysis.hosting && sizingTable(analysis.hosting), trainingGrowthTable(analysis.training)];
  return tables.filter((table): table is SummaryTable => table !== undefined && table.rows.length > 0);
}

/** Returns one sentence naming the cheapest hosting type per prediction, or undefined when none qualifies or nothing was sized. */
export function cheapestHostingSentence(analysis: UnitCostAnalysis): string | undefined {
  const hosting = analysis.hosting;
  const cheapest = hosting?.sizings.find((sizing) => sizing.measurement.instanceType === hosting.cheapest);
  if (!hosting || !cheapest) return undefined;
  const target = hosting.plan.latencyTargetMs === undefined ? '' : ` and meets the ${formatNumber(hosting.plan.latencyTargetMs)} ms latency target`;
  return (
    `Per prediction, ${cheapest.measurement.instanceType} is the cheapest measured hosting type that fits within ` +
    `${plural(hosting.plan.maxInstances, 'instance')}${target}: ${formatPrice(cheapest.costPer1000AtPlannedLoadUsd)} per 1,000 predictions ` +
    `at the planned ${formatNumber(hosting.plan.requestsPerHour)} requests/h on ${plural(cheapest.instanceCount, 'instance')}.`
  );
}

function loadTestTable(loadTests: LoadTestResult[]): SummaryTable {
  return {
    caption: 'Load test (one instance each)',
    columns: ['instance type', 'requests', 'errors', 'concurrency', 'duration', 'throughput', 'latency p50 / p95 / max', 'price per instance-hour'],
    rows: loadTests.map((test) => [
      test.instanceType,
      formatNumber(test.requests),
      formatNumber(test.errors),
      formatNumber(test.concurrency),
      `${formatNumber(test.durationSeconds, 1)} s`,
      `${formatNumber(test.throughputRps, 1)} requests/s`,
      `${formatNumber(test.latencyMs.p50, 1)} / ${formatNumber(test.latencyMs.p95, 1)} / ${formatNumber(test.latencyMs.max, 1)} ms`,
      formatPrice(test.pricePerHourUsd),
    ]),
  };
}

function sizingTable(hosting: HostingComparison): SummaryTable {
  const { plan } = hosting;
  return {
    caption:
      `Endpoint sizing and cost per 1,000 predictions (peak ${formatNumber(plan.peakRequestsPerSecond, 3)} requests/s, ` +
      `${formatNumber(plan.requestsPerHour)} requests/h planned, ${formatNumber(plan.targetUtilization * 100, 0)} % target utilisation)`,
    columns: [
      'instance type',
      'figures from',
      'throughput per instance',
      'latency p95',
      'instances (needed / used / max)',
      'utilisation at peak',
      'latency target',
      'per 1,000 at full use',
      'per 1,000 at planned load',
      'per month (730 h)',
    ],
    rows: hosting.sizings.map((sizing) => [
      sizing.measurement.instanceType + (sizing.measurement.instanceType === hosting.cheapest ? ' (cheapest)' : ''),
      sizing.measurement.source,
      `${formatNumber(sizing.measurement.throughputRps, 1)} requests/s`,
      sizing.measurement.latencyMs === undefined ? '-' : `${formatNumber(sizing.measurement.latencyMs, 1)} ms`,
      `${sizing.neededInstances} / ${sizing.instanceCount} / ${sizing.maxInstances}`,
      `${formatNumber(sizing.peakUtilization * 100, 1)} %`,
      latencyTargetText(sizing.latencyTargetMet),
      formatPrice(sizing.costPer1000AtFullUseUsd),
      formatPrice(sizing.costPer1000AtPlannedLoadUsd),
      formatUsd(sizing.monthlyUsd),
    ]),
  };
}

function latencyTargetText(met: boolean | undefined): string {
  if (met === undefined) return '-';
  return met ? 'met' : 'missed';
}

function trainingGrowthTable(training: TrainingGrowth): SummaryTable {
  const { growth } = training;
  const sizes = GROWTH_MONTHS.map((months) => growth.sizeGb + growth.growthGbPerMonth * months);
  const horizonColumns = GROWTH_MONTHS.map((months, i) => `${months === 0 ? 'now' : `in ${months} months`} (${formatNumber(sizes[i], 3)} GB)`);
  return {
    caption: 'Cost per training run as the data grows (linear in data size, an estimate)',
    columns: ['configuration', 'job', 'cost per run', 'time per GB', ...horizonColumns],
    rows: training.configurations.map((configuration) => [
      configuration.configuration,
      configuration.jobName,
      formatUsd(configuration.costPerRunUsd),
      configuration.secondsPerGb === undefined ? '-' : formatDuration(configuration.secondsPerGb),
      ...GROWTH_MONTHS.map((_, i) => projectionText(configuration.projections[i])),
    ]),
  };
}

function projectionText(projection: TrainingGrowth['configurations'][number]['projections'][number] | undefined): string {
  if (!projection) return '-';
  const marks = [projection.overDeadline ? 'over the deadline' : '', projection.overBudget ? 'over the cap' : ''].filter(Boolean);
  return `${formatDuration(projection.durationSeconds)}, ${formatUsd(projection.costUsd)}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`;
}

/**
 * Analyses the unit costs for the deployment review of `spec`: the load
 * tests when there are any, else the spec's expected throughput on
 * `hostingInstanceType`, and the benchmark runs against the data scale.
 */
export function unitCostsForSpec(
  spec: ProjectSpec,
  runs: MeasuredRun[],
  loadTests: LoadTestResult[] | undefined,
  hostingInstanceType: string,
  table?: PriceTable,
): UnitCostAnalysis {
  return analyseUnitCosts({
    loadTests,
    specMeasurement: measurementFromSpec(spec, hostingInstanceType, table),
    plan: loadPlanFromSpec(spec),
    runs,
    growth: dataGrowthFromSpec(spec),
  });
}
