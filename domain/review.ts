/**
 * The document a stakeholder approves at each gate (ReviewSummary): the
 * requirements, the cost estimate, or the benchmark and deployment plan.
 * E-mail, approval page and CLI render the same summary.
 */
import type { Gate } from './constants';
import { estimateCost, estimateToSummary, hostingInstanceType, requestsPerHour, type CostEstimate } from './estimate';
import { formatDuration, formatNumber, formatPrice, formatUsd, HOURS_PER_MONTH, plural, roundUsd } from './money';
import { PriceNotFoundError, resolvePrice, type PriceTable } from './prices';
import { configurationLabel, recommend, type Recommendation } from './recommend';
import { buildReviewChanges } from './review-changes';
import { buildKeyFigures, type DeploymentFigures, type KeyFigureInput, type PlanPrice } from './review-figures';
import type { ProjectSpec } from './spec';
import type { LoadTestResult, ReviewSummary, SummaryTable, TrainingJobSummary } from './status';
import { cheapestHostingSentence, unitCostsForSpec, unitCostTables, type UnitCostAnalysis } from './unit-costs';

/** Data the workflow has when it builds a review. Every field is optional. */
export interface ReviewContext {
  /** The CostEstimate of the cost gate; recomputed from the spec when missing or not an estimate. */
  estimate?: unknown;
  trainingJobs?: TrainingJobSummary[];
  recommendation?: Recommendation;
  /** The configuration the deployment gate approves; derived from the spec and recommendation when missing. */
  deployment?: { instanceType: string; instanceCount: number };
  /** Load tests run after the benchmark; the deployment review sizes the endpoint and prices predictions from them. */
  loadTests?: LoadTestResult[];
  /** Spend metered so far, in USD; the key figures fall back to the sum of the training jobs' costs. */
  spendUsd?: number;
  /** The spec before a revision opened this round; adds the estimate diff to the summary. */
  previousSpec?: ProjectSpec;
  /** Reason for the revision, shown above the estimate diff. */
  changeReason?: string;
}

export interface ReviewOptions {
  /** Price table for estimates and the deployment plan; the bundled one when absent. */
  priceTable?: PriceTable;
}

const GATE_TITLES: Record<Gate, string> = {
  requirements: 'Requirements review',
  cost: 'Cost review',
  deployment: 'Deployment review',
};

/**
 * Builds the summary of review round `round` of `gate`, with its key
 * figures and, when `context.previousSpec` is set, the estimate diff. Pure:
 * the estimate is recomputed from the spec when the context has none. At
 * the cost gate a price missing for that estimate throws
 * PriceNotFoundError; at the other gates the key figures name it instead.
 */
export function buildReviewSummary(gate: Gate, round: number, spec: ProjectSpec, context: ReviewContext = {}, options: ReviewOptions = {}): ReviewSummary {
  const title = `${GATE_TITLES[gate]} of ${spec.name} (${spec.id}), round ${round}`;
  const estimate = estimateOf(spec, context, options.priceTable);
  let deployment: DeploymentChoice | undefined;
  let body: Body;
  if (gate === 'requirements') {
    body = requirementsBody(spec);
  } else if (gate === 'cost') {
    if (estimate instanceof PriceNotFoundError) throw estimate;
    body = estimateToSummary(estimate);
  } else {
    deployment = chooseDeployment(spec, context, options.priceTable);
    body = deploymentBody(spec, deployment);
  }

  const keyFigures = buildKeyFigures({
    gate,
    spec,
    estimate: estimate instanceof PriceNotFoundError ? { error: estimate.message } : estimate,
    spend: spendOf(context),
    deployment: deployment && deploymentFigures(deployment),
  });
  const summary: ReviewSummary = { gate, round, title, ...body, keyFigures };
  if (context.previousSpec) {
    summary.changes = buildReviewChanges({ previousSpec: context.previousSpec, spec, reason: context.changeReason, priceTable: options.priceTable });
  }
  return summary;
}

/**
 * Returns the context's estimate when it has the right shape, else one computed from the spec, else the missing-price error.
 * NOTE: a context estimate is used as given, so after a spec revision the caller must pass the revised spec's estimate.
 */
function estimateOf(spec: ProjectSpec, context: ReviewContext, priceTable: PriceTable | undefined): CostEstimate | PriceNotFoundError {
  if (isCostEstimate(context.estimate)) return context.estimate;
  try {
    return estimateCost(spec, { priceTable });
  } catch (error) {
    if (error instanceof PriceNotFoundError) return error;
    throw error;
  }
}

/** Spend so far: the metered figure from the context, else the training jobs' costs. */
function spendOf(context: ReviewContext): KeyFigureInput['spend'] {
  if (context.spendUsd !== undefined) return { usd: context.spendUsd, source: 'metered' };
  const jobs = context.trainingJobs ?? [];
  return { usd: roundUsd(jobs.reduce((sum, job) => sum + job.costUsd, 0)), source: 'training jobs' };
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

/** Inputs of the deployment gate's decision: the benchmark jobs, the recommendation and the plan with its price. */
interface DeploymentChoice {
  jobs: TrainingJobSummary[];
  computed: ReturnType<typeof recommend>;
  recommendation?: Recommendation;
  plan?: { instanceType: string; instanceCount: number };
  price?: PlanPrice;
  /** Load tests, sizing, cost per 1,000 predictions and training cost as the data grows. */
  unitCosts: UnitCostAnalysis;
}

function chooseDeployment(spec: ProjectSpec, context: ReviewContext, priceTable: PriceTable | undefined): DeploymentChoice {
  const jobs = benchmarkJobs(context.trainingJobs ?? []);
  const computed = recommend(jobs, spec.training.objective, { deadlineSeconds: spec.training.maxRuntimeSeconds });
  const recommendation = context.recommendation ?? computed.recommendation;
  const plan = context.deployment ?? planDeployment(spec, recommendation);
  const unitCosts = unitCostsForSpec(spec, jobs, context.loadTests, plan?.instanceType ?? hostingInstanceType(spec), priceTable);
  return { jobs, computed, recommendation, plan, price: plan && priceDeployment(spec, plan, priceTable), unitCosts };
}

function deploymentFigures(choice: DeploymentChoice): DeploymentFigures {
  return { recommendation: choice.recommendation, noRecommendationReason: choice.computed.reason, plan: choice.plan, price: choice.price };
}

/** Prices `plan` per hour and per 730-hour month, or returns the missing-price message. */
function priceDeployment(spec: ProjectSpec, plan: { instanceType: string; instanceCount: number }, priceTable: PriceTable | undefined): PlanPrice {
  try {
    const price = resolvePrice(spec.prices, spec.region, plan.instanceType, 'hosting', false, priceTable);
    const hourlyUsd = price.pricePerHourUsd * plan.instanceCount;
    return { pricePerHourUsd: price.pricePerHourUsd, source: price.source, hourlyUsd, monthlyUsd: roundUsd(hourlyUsd * HOURS_PER_MONTH) };
  } catch (error) {
    if (!(error instanceof PriceNotFoundError)) throw error;
    return { error: error.message };
  }
}

function deploymentBody(spec: ProjectSpec, choice: DeploymentChoice): Body {
  const { jobs, computed, recommendation, plan } = choice;

  const paragraphs = [
    `The benchmark ran ${plural(jobs.length, 'training job')}, each capped at ${formatUsd(spec.budgets.perTrainingJobUsd)}.`,
    recommendation ? `Recommendation: ${recommendation.reason}` : `No recommendation. ${computed.reason}`,
  ];
  const tables = [benchmarkTable(spec, jobs)];
  const notes = [...computed.warnings, ...computed.notes];
  if (plan) {
    const hosting = hostingCost(spec, plan, choice.price!);
    tables.push(hosting.table);
    notes.push(...hosting.notes);
  } else {
    paragraphs.push('There is no deployment plan: no configuration qualified and the spec fixes no instance type.');
  }
  const cheapestHosting = cheapestHostingSentence(choice.unitCosts);
  if (cheapestHosting) paragraphs.push(cheapestHosting);
  tables.push(...unitCostTables(choice.unitCosts));
  notes.push(...choice.unitCosts.warnings);
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

function hostingCost(spec: ProjectSpec, plan: { instanceType: string; instanceCount: number }, price: PlanPrice): { table: SummaryTable; notes: string[] } {
  const configuration = `${plan.instanceCount} × ${plan.instanceType}`;
  const caption = 'Deployment plan';
  const columns = ['configuration', 'price per instance-hour', 'per hour', 'per month (730 h)'];
  if ('error' in price) {
    return { table: { caption, columns, rows: [[configuration, 'unknown', '-', '-']] }, notes: [price.error] };
  }
  const notes = ['The endpoint bills every hour it is in service, with or without requests, until it is shut down.'];
  const monthlyBudget = spec.budgets.monthlyUsd;
  if (monthlyBudget !== undefined && price.monthlyUsd > monthlyBudget) {
    notes.push(`The endpoint alone, ${formatUsd(price.monthlyUsd)} per month, is above budgets.monthlyUsd of ${formatUsd(monthlyBudget)}.`);
  }
  const row = [configuration, `${formatPrice(price.pricePerHourUsd)} (${price.source})`, formatPrice(price.hourlyUsd), formatUsd(price.monthlyUsd)];
  return { table: { caption, columns, rows: [row] }, notes };
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
