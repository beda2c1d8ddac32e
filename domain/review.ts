/**
 * The document a stakeholder approves at each gate (ReviewSummary): the
 * requirements, the cost estimate, or the benchmark and deployment plan.
 * E-mail, approval page and CLI render the same summary.
 */
import type { Gate } from './constants';
import { estimateCost, estimateToSummary, requestsPerHour, type CostEstimate } from './estimate';
import { formatDuration, formatNumber, formatPrice, formatUsd, HOURS_PER_MONTH, plural, roundUsd } from './money';
import { PriceNotFoundError, resolvePrice } from './prices';
import { configurationLabel, recommend, type Recommendation } from './recommend';
import type { ProjectSpec } from './spec';
import type { ReviewSummary, SummaryTable, TrainingJobSummary } from './status';

/** Data the workflow has when it builds a review. Every field is optional. */
export interface ReviewContext {
  /** The CostEstimate of the cost gate; recomputed from the spec when missing or not an estimate. */
  estimate?: unknown;
  trainingJobs?: TrainingJobSummary[];
  recommendation?: Recommendation;
  /** The configuration the deployment gate approves; derived from the spec and recommendation when missing. */
  deployment?: { instanceType: string; instanceCount: number };
}

const GATE_TITLES: Record<Gate, string> = {
  requirements: 'Requirements review',
  cost: 'Cost review',
  deployment: 'Deployment review',
};

/**
 * Builds the summary of review round `round` of `gate`. Pure: the cost gate
 * recomputes the estimate from the spec when the context has none, which
 * throws PriceNotFoundError when a price is unknown.
 */
export function buildReviewSummary(gate: Gate, round: number, spec: ProjectSpec, context: ReviewContext = {}): ReviewSummary {
  const title = `${GATE_TITLES[gate]} of ${spec.name} (${spec.id}), round ${round}`;
  return { gate, round, title, ...bodyOf(gate, spec, context) };
}

function bodyOf(gate: Gate, spec: ProjectSpec, context: ReviewContext): Body {
  switch (gate) {
    case 'requirements':
      return requirementsBody(spec);
    case 'cost':
      return costBody(spec, context);
    case 'deployment':
      return deploymentBody(spec, context);
  }
}

type Body = Pick<ReviewSummary, 'paragraphs' | 'tables' | 'notes'>;

function requirementsBody(spec: ProjectSpec): Body {
  const { userScale, systemScale, dataScale } = spec.requirements;
  const perHour = requestsPerHour(spec);
  const objective = spec.training.objective;
  const paragraphs = [
    `${spec.name}, owned by ${spec.owner}, asks for approval of its requirements: the user, system and data scales ` +
      'and the budgets below. The cost estimate is built from these figures and reviewed next.',
    objective
      ? `Quality objective: ${objective.goal} ${objective.metric}${objective.target === undefined ? '' : ` to ${objective.goal === 'maximize' ? 'at least' : 'at most'} ${objective.target}`}.`
      : 'No quality objective is set: the benchmark will recommend the cheapest configuration that completes.',
  ];
  const tables: SummaryTable[] = [
    figureTable('User scale', [
      ['users', formatNumber(userScale.users)],
      ['requests per user per day', formatNumber(userScale.requestsPerUserPerDay)],
      ['requests per hour (derived)', formatNumber(perHour)],
      ['peak factor', formatNumber(userScale.peakFactor)],
      ['peak requests per second (derived)', formatNumber((perHour / 3600) * userScale.peakFactor)],
    ]),
    figureTable('System scale', [
      ['CPUs', optional(systemScale.cpus)],
      ['memory', systemScale.memoryGiB === undefined ? '-' : `${formatNumber(systemScale.memoryGiB)} GiB`],
      ['GPUs', formatNumber(systemScale.gpus)],
      ['maximum instances', formatNumber(systemScale.maxInstances)],
      ['notes', systemScale.notes ?? '-'],
    ]),
    figureTable('Data scale', [
      ['size', `${formatSmall(dataScale.sizeGb)} GB`],
      ['growth', `${formatSmall(dataScale.growthGbPerMonth)} GB per month`],
      ['update frequency', dataScale.updateFrequency],
      ['quality notes', dataScale.qualityNotes ?? '-'],
    ]),
    figureTable('Budgets', [
      ['total', formatUsd(spec.budgets.totalUsd)],
      ['monthly', spec.budgets.monthlyUsd === undefined ? '-' : formatUsd(spec.budgets.monthlyUsd)],
      ['per training job (cost cap)', formatUsd(spec.budgets.perTrainingJobUsd)],
    ]),
  ];
  const notes = spec.budgets.monthlyUsd === undefined ? ['No monthly budget is set; only the total budget is checked.'] : [];
  return { paragraphs, tables, notes };
}

function costBody(spec: ProjectSpec, context: ReviewContext): Body {
  const estimate = isCostEstimate(context.estimate) ? context.estimate : estimateCost(spec);
  return estimateToSummary(estimate);
}

/** Returns whether `value` has the shape of a CostEstimate (it crossed a workflow boundary as unknown). */
export function isCostEstimate(value: unknown): value is CostEstimate {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<CostEstimate>;
  return (
    typeof candidate.totals?.first24HoursUsd === 'number' &&
    typeof candidate.training?.usd === 'number' &&
    typeof candidate.inference?.perHourUsd === 'number' &&
    Array.isArray(candidate.notes)
  );
}

function deploymentBody(spec: ProjectSpec, context: ReviewContext): Body {
  const jobs = benchmarkJobs(context.trainingJobs ?? []);
  const computed = recommend(jobs, spec.training.objective);
  const recommendation = context.recommendation ?? computed.recommendation;
  const plan = context.deployment ?? planDeployment(spec, recommendation);

  const paragraphs = [
    `The benchmark ran ${plural(jobs.length, 'training job')}, each capped at ${formatUsd(spec.budgets.perTrainingJobUsd)}.`,
    recommendation ? `Recommendation: ${recommendation.reason}` : `No recommendation. ${computed.reason}`,
  ];
  const tables = [benchmarkTable(spec, jobs)];
  const notes = [...computed.notes];
  if (plan) {
    const hosting = hostingCost(spec, plan);
    tables.push(hosting.table);
    notes.push(...hosting.notes);
  } else {
    paragraphs.push('There is no deployment plan: no configuration qualified and the spec fixes no instance type.');
  }
  return { paragraphs, tables, notes };
}

/** Benchmark jobs of the list, or all jobs when none is marked as a benchmark. */
function benchmarkJobs(jobs: TrainingJobSummary[]): TrainingJobSummary[] {
  const marked = jobs.filter((job) => job.purpose === 'benchmark');
  return marked.length > 0 ? marked : jobs;
}

/**
 * Returns the configuration to deploy: the spec's deployment.instanceType
 * and instanceCount when fixed, else the recommended configuration, else
 * undefined.
 */
export function planDeployment(spec: ProjectSpec, recommendation: Recommendation | undefined): { instanceType: string; instanceCount: number } | undefined {
  if (spec.deployment.instanceType !== 'recommended') {
    return { instanceType: spec.deployment.instanceType, instanceCount: spec.deployment.instanceCount };
  }
  return recommendation && { instanceType: recommendation.instanceType, instanceCount: recommendation.instanceCount };
}

function benchmarkTable(spec: ProjectSpec, jobs: TrainingJobSummary[]): SummaryTable {
  const metric = spec.training.objective?.metric;
  return {
    caption: 'Benchmark',
    columns: ['job', 'configuration', 'status', 'duration', 'cost', 'cap', metric ?? 'metrics', 'CPU avg / max', 'memory max', 'stopped by cap'],
    rows: jobs.map((job) => [
      job.name,
      configurationLabel(job),
      job.failureReason ? `${job.status}: ${job.failureReason}` : job.status,
      formatDuration(job.durationSeconds),
      formatUsd(job.costUsd),
      formatUsd(job.capUsd),
      metric ? optional(job.metrics[metric], 4) : metricsText(job.metrics),
      job.resourceUsage
        ? `${formatNumber(job.resourceUsage.cpuPercentAvg, 0)} % / ${formatNumber(job.resourceUsage.cpuPercentMax, 0)} % of one core`
        : '-',
      job.resourceUsage ? `${formatNumber(job.resourceUsage.memoryMiBMax / 1024, 2)} GiB` : '-',
      job.stopped ? 'yes' : 'no',
    ]),
  };
}

function hostingCost(spec: ProjectSpec, plan: { instanceType: string; instanceCount: number }): { table: SummaryTable; notes: string[] } {
  const configuration = `${plan.instanceCount} × ${plan.instanceType}`;
  const caption = 'Deployment plan';
  const columns = ['configuration', 'price per instance-hour', 'per hour', 'per month (730 h)'];
  try {
    const price = resolvePrice(spec.prices, spec.region, plan.instanceType, 'hosting');
    const hourly = price.pricePerHourUsd * plan.instanceCount;
    const monthly = roundUsd(hourly * HOURS_PER_MONTH);
    const notes = ['The endpoint bills every hour it is in service, with or without requests, until it is shut down.'];
    const monthlyBudget = spec.budgets.monthlyUsd;
    if (monthlyBudget !== undefined && monthly > monthlyBudget) {
      notes.push(`The endpoint alone, ${formatUsd(monthly)} per month, is above budgets.monthlyUsd of ${formatUsd(monthlyBudget)}.`);
    }
    const row = [configuration, `${formatPrice(price.pricePerHourUsd)} (${price.source})`, formatPrice(hourly), formatUsd(monthly)];
    return { table: { caption, columns, rows: [row] }, notes };
  } catch (error) {
    if (!(error instanceof PriceNotFoundError)) throw error;
    return { table: { caption, columns, rows: [[configuration, 'unknown', '-', '-']] }, notes: [error.message] };
  }
}

function figureTable(caption: string, rows: string[][]): SummaryTable {
  return { caption, columns: ['figure', 'value'], rows };
}

function optional(value: number | undefined, digits = 2): string {
  return value === undefined ? '-' : formatNumber(value, digits);
}

function metricsText(metrics: Record<string, number>): string {
  const entries = Object.entries(metrics);
  return entries.length === 0 ? '-' : entries.map(([name, value]) => `${name} ${formatNumber(value, 4)}`).join(', ');
}

/** Formats a quantity with two significant digits below 1, so 0.001 GB does not print as 0 GB. */
function formatSmall(value: number): string {
  if (value <= 0 || value >= 1) return formatNumber(value);
  return formatNumber(value, 1 - Math.floor(Math.log10(value)));
}
