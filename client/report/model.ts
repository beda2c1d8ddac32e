/**
 * The cost report model: everything a report shows, computed from a
 * ProjectStatus without I/O. The JSON format is this model as it is; the
 * HTML and Markdown renderers only format it.
 */
import type { CostEstimate } from '../../domain/estimate';
import { estimateToSummary } from '../../domain/estimate-summary';
import { roundUsd } from '../../domain/money';
import { loadPlanFromEstimate, measurementFromEstimate } from '../../domain/sizing';
import type { CostCheck, ProjectStatus, SummaryTable } from '../../domain/status';
import { dataGrowthFromEstimate } from '../../domain/training-growth';
import { analyseUnitCosts, type UnitCostAnalysis } from '../../domain/unit-costs';
import { forecastMonthEnd, spendSeries, type SpendForecast, type SpendPoint } from './forecast';

export interface BuildReportOptions {
  /** Time the report is made at, which is also the end of the spend series; defaults to the current time. */
  now?: Date;
}

/** One training job as a row of the benchmark table. */
export interface BenchmarkRow {
  name: string;
  purpose: 'benchmark' | 'retraining';
  /** `2 × ml.m5.large` with ` (spot)` for spot jobs. */
  configuration: string;
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  status: string;
  durationSeconds: number;
  costUsd: number;
  capUsd: number;
  pricePerHourUsd: number;
  /** True when the cost cap stopped the job. */
  stopped: boolean;
  metrics: Record<string, number>;
  /** Share of the training time not billed thanks to managed spot training, in percent. */
  spotSavingsPercent?: number;
  cpuPercentMax?: number;
  cpuPercentAvg?: number;
  memoryMiBMax?: number;
  failureReason?: string;
}

export interface ReportCharts {
  /** Estimated cost of each item over the estimate's horizon; undefined without an estimate. */
  costBreakdown?: { horizonHours: number; items: { label: string; usd: number }[] };
  /** Cost and duration of every training job, grouped by configuration. */
  costVsDuration: { configuration: string; jobs: { name: string; durationHours: number; costUsd: number }[] }[];
  /** Cost per 1,000 predictions of each sized hosting type; empty when nothing was sized. */
  costPer1000Predictions: { instanceType: string; atFullUseUsd: number; atPlannedLoadUsd: number }[];
  /** Cumulative spend points, the forecast line from now to the month end, and the budget. */
  spendOverTime: { points: SpendPoint[]; forecastLine: { at: string; spendUsd: number }[]; budgetUsd: number };
}

export interface ReportModel {
  projectId: string;
  name: string;
  owner: string;
  phase: string;
  /** ISO-8601 time the report was made. */
  generatedAt: string;
  /** The cost estimate of the cost gate, if the project got one. */
  estimate?: CostEstimate;
  /** The estimate's tables as the cost review shows them; empty without an estimate. */
  estimateTables: SummaryTable[];
  benchmark: BenchmarkRow[];
  recommendation?: { instanceType: string; instanceCount: number; spot: boolean; reason: string };
  /**
   * Load tests, endpoint sizing with the cost per 1,000 predictions, and the
   * cost per benchmark run as the data grows. Sizing and growth need the
   * estimate's load and data figures, so without an estimate only the load
   * tests and the cost per run are filled.
   */
  unitCosts: UnitCostAnalysis;
  /** Latest comparison of metered spend with Cost Explorer (SageMaker projects), with the metric it used. */
  costCheck?: CostCheck;
  spend: {
    spendUsd: number;
    budgetUsd: number;
    remainingUsd: number;
    /** spendUsd / budgetUsd. */
    budgetUsedFraction: number;
    /** Sum of the costs of all training jobs; the rest is hosting, storage and transfer. */
    trainingJobsUsd: number;
  };
  forecast: SpendForecast;
  charts: ReportCharts;
  /** Caveats of the report, one sentence each. */
  notes: string[];
}

/** Builds the report model of `status`. */
export function buildReport(status: ProjectStatus, options: BuildReportOptions = {}): ReportModel {
  const now = options.now ?? new Date();
  const estimate = asCostEstimate(status.estimate);
  const benchmark = status.trainingJobs.map(toBenchmarkRow);
  const points = spendSeries(status, now);
  const forecast = forecastMonthEnd(status, points, now);
  const notes: string[] = [];
  if (status.estimate === undefined) notes.push('The project has no cost estimate yet.');
  else if (!estimate) notes.push('The status carries an estimate in an unknown shape, so the report leaves it out.');
  if (status.trainingJobs.length === 0) notes.push('No training job has run yet.');
  if (status.costCheck) notes.push(...status.costCheck.notes);

  const unitCosts = unitCostsOf(status, estimate);

  return {
    projectId: status.projectId,
    name: status.name,
    owner: status.owner,
    phase: status.phase,
    generatedAt: now.toISOString(),
    estimate,
    estimateTables: estimate ? estimateToSummary(estimate).tables : [],
    benchmark,
    recommendation: status.recommendation,
    unitCosts,
    ...(status.costCheck ? { costCheck: status.costCheck } : {}),
    spend: {
      spendUsd: status.spendUsd,
      budgetUsd: status.budgetUsd,
      remainingUsd: roundUsd(status.budgetUsd - status.spendUsd),
      budgetUsedFraction: status.budgetUsd > 0 ? status.spendUsd / status.budgetUsd : 0,
      trainingJobsUsd: roundUsd(status.trainingJobs.reduce((sum, job) => sum + job.costUsd, 0)),
    },
    forecast,
    charts: {
      costBreakdown: estimate ? costBreakdown(estimate) : undefined,
      costVsDuration: costVsDuration(benchmark),
      costPer1000Predictions: (unitCosts.hosting?.sizings ?? []).map((sizing) => ({
        instanceType: sizing.measurement.instanceType,
        atFullUseUsd: sizing.costPer1000AtFullUseUsd,
        atPlannedLoadUsd: sizing.costPer1000AtPlannedLoadUsd,
      })),
      spendOverTime: {
        points,
        forecastLine: forecastLine(points, forecast),
        budgetUsd: status.budgetUsd,
      },
    },
    notes,
  };
}

/**
 * Returns `value` as a CostEstimate when it has the fields the report
 * reads. The status types the estimate as unknown because it crosses the
 * workflow boundary as plain JSON.
 */
function asCostEstimate(value: unknown): CostEstimate | undefined {
  const candidate = value as Partial<CostEstimate> | undefined;
  const numeric = (field: unknown): boolean => typeof field === 'number' && Number.isFinite(field);
  if (
    candidate &&
    typeof candidate === 'object' &&
    numeric(candidate.totals?.horizonUsd) &&
    numeric(candidate.training?.usd) &&
    numeric(candidate.inference?.horizonUsd) &&
    numeric(candidate.storage?.horizonUsd) &&
    numeric(candidate.network?.horizonUsd)
  ) {
    return candidate as CostEstimate;
  }
  return undefined;
}

function unitCostsOf(status: ProjectStatus, estimate: CostEstimate | undefined): UnitCostAnalysis {
  return analyseUnitCosts({
    loadTests: status.loadTests,
    specMeasurement: estimate && measurementFromEstimate(estimate),
    plan: estimate && loadPlanFromEstimate(estimate),
    runs: status.trainingJobs.filter((job) => job.purpose === 'benchmark'),
    growth: estimate ? dataGrowthFromEstimate(estimate) : { sizeGb: 0, growthGbPerMonth: 0 },
  });
}

function toBenchmarkRow(job: ProjectStatus['trainingJobs'][number]): BenchmarkRow {
  return {
    name: job.name,
    purpose: job.purpose,
    configuration: `${job.instanceCount} × ${job.instanceType}${job.spot ? ' (spot)' : ''}`,
    instanceType: job.instanceType,
    instanceCount: job.instanceCount,
    spot: job.spot,
    status: job.status,
    durationSeconds: job.durationSeconds,
    costUsd: job.costUsd,
    capUsd: job.capUsd,
    pricePerHourUsd: job.pricePerHourUsd,
    stopped: job.stopped,
    metrics: job.metrics,
    cpuPercentMax: job.resourceUsage?.cpuPercentMax,
    cpuPercentAvg: job.resourceUsage?.cpuPercentAvg,
    memoryMiBMax: job.resourceUsage?.memoryMiBMax,
    spotSavingsPercent: job.spotSavingsPercent,
    failureReason: job.failureReason,
  };
}

function costBreakdown(estimate: CostEstimate): NonNullable<ReportCharts['costBreakdown']> {
  return {
    horizonHours: estimate.horizonHours,
    items: [
      { label: 'training (one run)', usd: estimate.training.usd },
      { label: 'inference', usd: estimate.inference.horizonUsd },
      { label: 'storage', usd: estimate.storage.horizonUsd },
      { label: 'network', usd: estimate.network.horizonUsd },
    ],
  };
}

function costVsDuration(rows: BenchmarkRow[]): ReportCharts['costVsDuration'] {
  const groups = new Map<string, ReportCharts['costVsDuration'][number]>();
  for (const row of rows) {
    const group = groups.get(row.configuration) ?? { configuration: row.configuration, jobs: [] };
    group.jobs.push({ name: row.name, durationHours: row.durationSeconds / 3600, costUsd: row.costUsd });
    groups.set(row.configuration, group);
  }
  return [...groups.values()];
}

function forecastLine(points: SpendPoint[], forecast: SpendForecast): { at: string; spendUsd: number }[] {
  const last = points.at(-1);
  if (forecast.forecastUsd === undefined || !last) return [];
  return [
    { at: last.at, spendUsd: last.spendUsd },
    { at: forecast.monthEnd, spendUsd: forecast.forecastUsd },
  ];
}
