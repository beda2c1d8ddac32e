/**
 * The cost estimate a project gets before anything runs: one training run,
 * inference, storage and network over a horizon, from the spec's three
 * scales and the resolved prices. Amounts are US dollars rounded to cents,
 * except unit prices and per-hour rates, which keep up to a millionth of a
 * dollar so that small per-request prices stay visible.
 */
import { formatNumber, formatPrice, formatUsd, HOURS_PER_MONTH, plural, roundUsd, sumUsd } from './money';
import {
  compareInferenceOptions,
  compareSavingsPlans,
  compareSpot,
  type InferenceOptions,
  type SavingsPlanOption,
  sizeEndpoint,
  type SizingEstimate,
  type SpotComparison,
} from './estimate-options';
import {
  PRICE_TABLE,
  PriceNotFoundError,
  type PriceTable,
  resolvePrice,
  type ResolvedPrice,
  resolveStoragePrice,
  resolveTransferPrice,
} from './prices';
import type { ProjectSpec } from './spec';

/** Hours in the "first day" total: training plus the first 24 hours of running. */
export const FIRST_DAY_HOURS = 24;

/** KiB in a GiB: AWS bills data transfer per GB of 2^30 bytes. */
const KB_PER_GB = 1024 * 1024;

export interface TrainingCostEstimate {
  instanceType: string;
  instanceCount: number;
  hours: number;
  /** On-demand price per instance-hour. */
  pricePerHourUsd: number;
  priceSource: string;
  /** Cost of one run: hours × price × count. */
  usd: number;
  /** The same run with managed spot training at the usual discount. */
  spotUsd: number;
  /** The inputs of `usd`, such as `1 × ml.p3.2xlarge × 4 h × $16.00/instance-hour`. */
  formula: string;
}

export type InferenceBasis = 'per-request' | 'per-instance-hour';

export interface InferenceCostEstimate {
  /** Price basis of the inference cost: `prices.perRequestUsd` when set, else instance-hours. */
  basis: InferenceBasis;
  instanceType: string;
  instanceCount: number;
  /** users × requestsPerUserPerDay / 24. */
  requestsPerHour: number;
  /** requestsPerHour / 3600 × peakFactor. */
  peakRequestsPerSecond: number;
  /** Set for the per-request basis. */
  pricePerRequestUsd?: number;
  /** On-demand hosting price per instance-hour; undefined when the per-request basis is used and no price is known. */
  pricePerInstanceHourUsd?: number;
  /** Source of the price the basis uses. */
  priceSource: string;
  perHourUsd: number;
  first24HoursUsd: number;
  horizonUsd: number;
  /** The inputs of `perHourUsd`. */
  formula: string;
}

export interface StorageCostEstimate {
  startGb: number;
  /** Size at the end of the horizon, with dataScale.growthGbPerMonth. */
  endGb: number;
  pricePerGbMonthUsd: number;
  priceSource: string;
  first24HoursUsd: number;
  horizonUsd: number;
  /** The inputs of `horizonUsd`. */
  formula: string;
}

export interface NetworkCostEstimate {
  /** requestsPerHour × payloadKb, in GB. */
  gbPerHour: number;
  pricePerGbUsd: number;
  priceSource: string;
  perHourUsd: number;
  first24HoursUsd: number;
  horizonUsd: number;
  /** The inputs of `perHourUsd`. */
  formula: string;
}

/** Cost of one 730-hour month once deployed, by item. */
export interface MonthlyCost {
  /** Retraining runs per month from dataScale.updateFrequency: hourly 730, daily 730/24, weekly 730/168, monthly 1, yearly 1/12, never 0. */
  retrainingsPerMonth: number;
  trainingUsd: number;
  inferenceUsd: number;
  storageUsd: number;
  networkUsd: number;
  totalUsd: number;
}

/** Monthly cost if one scale doubles, everything else unchanged. */
export interface Sensitivity {
  baseMonthlyUsd: number;
  /** users × 2: more requests, network and, with a throughput, more instances. */
  usersDoubledMonthlyUsd: number;
  /** sizeGb, growthGbPerMonth and training.expectedHours × 2, since training time is taken to grow linearly with data. */
  dataDoubledMonthlyUsd: number;
}

/** One comparison of an estimated amount with a budget of the spec. */
export interface BudgetCheck {
  budget: 'budgets.totalUsd' | 'budgets.monthlyUsd' | 'budgets.perTrainingJobUsd';
  budgetUsd: number;
  estimateUsd: number;
  /** Label of `estimateUsd`, such as `total over 720 h`. */
  label: string;
  within: boolean;
}

/** A plain-JSON cost estimate: it travels through workflow state and queries. */
export interface CostEstimate {
  projectId: string;
  projectName: string;
  region: string;
  horizonHours: number;
  training: TrainingCostEstimate;
  inference: InferenceCostEstimate;
  storage: StorageCostEstimate;
  network: NetworkCostEstimate;
  totals: {
    /** Training once plus the first 24 hours of inference, storage and network. */
    first24HoursUsd: number;
    /** Training once plus the whole horizon of inference, storage and network. */
    horizonUsd: number;
    /** Inference and network per hour once deployed. */
    runningPerHourUsd: number;
    /** Inference and network over a 730-hour month, plus storage at the starting size. */
    monthlyRunningUsd: number;
    /** monthlyRunningUsd plus the retraining runs of one month. */
    perMonthUsd: number;
    /** One first training run plus 12 × perMonthUsd. */
    perYearUsd: number;
  };
  monthly: MonthlyCost;
  sizing: SizingEstimate;
  spot: SpotComparison;
  /** On-demand, 1-year and 3-year savings plan prices of the real-time endpoint running all month. */
  savingsPlans: SavingsPlanOption[];
  inferenceOptions: InferenceOptions;
  sensitivity: Sensitivity;
  budgetChecks: BudgetCheck[];
  prices: {
    tableDate: string;
    tableSource: string;
    region: string;
    /** Spec fields under `prices` that replaced table figures, such as `prices.training.ml.p3.2xlarge`. */
    overrides: string[];
  };
  /** Caveats of the estimate (items left out, assumptions), one sentence each. */
  notes: string[];
}

/**
 * Estimates the cost of a project from its spec. Throws PriceNotFoundError
 * when a price the estimate needs is neither in the spec nor in the bundled
 * table. The error message names the spec field to add.
 */
export function estimateCost(spec: ProjectSpec, options: EstimateOptions = {}): CostEstimate {
  const table = options.priceTable ?? PRICE_TABLE;
  const core = estimateCore(spec, table);
  const { training, inference, storage, network, totals, monthly } = core;
  const horizonHours = spec.estimate.horizonHours;
  const budgetChecks = checkBudgets(spec, training.usd, totals.horizonUsd, totals.monthlyRunningUsd, horizonHours);

  const sizing = sizeEndpoint(spec);
  const realTimeInstanceHourUsd = inference.pricePerInstanceHourUsd;
  const steadyHostingMonthlyUsd = realTimeInstanceHourUsd === undefined ? 0 : roundUsd(realTimeInstanceHourUsd * sizing.instanceCount * HOURS_PER_MONTH);

  return {
    projectId: spec.id,
    projectName: spec.name,
    region: spec.region,
    horizonHours,
    training,
    inference,
    storage,
    network,
    totals,
    monthly,
    sizing,
    spot: compareSpot(training, spec.estimate.spotInterruptionOverhead, table),
    savingsPlans: compareSavingsPlans(steadyHostingMonthlyUsd, table),
    inferenceOptions: compareInferenceOptions(spec, sizing, inference.instanceType, table),
    sensitivity: {
      baseMonthlyUsd: totals.perMonthUsd,
      usersDoubledMonthlyUsd: estimateCore(withScale(spec, 'users'), table).totals.perMonthUsd,
      dataDoubledMonthlyUsd: estimateCore(withScale(spec, 'data'), table).totals.perMonthUsd,
    },
    budgetChecks,
    prices: { tableDate: table.date, tableSource: table.source, region: spec.region, overrides: listOverrides(spec) },
    notes: buildNotes(spec, training, inference, budgetChecks, table, sizing),
  };
}

export interface EstimateOptions {
  /** Price table for figures the spec does not set; the bundled PRICE_TABLE by default. */
  priceTable?: PriceTable;
}

/** Retraining runs per 730-hour month for each dataScale.updateFrequency. */
export const RETRAININGS_PER_MONTH: Readonly<Record<ProjectSpec['requirements']['dataScale']['updateFrequency'], number>> = {
  hourly: HOURS_PER_MONTH,
  daily: HOURS_PER_MONTH / 24,
  weekly: HOURS_PER_MONTH / 168,
  monthly: 1,
  yearly: 1 / 12,
  never: 0,
};

/** The line items and totals, without the comparisons; the sensitivity recomputes it on changed specs. */
function estimateCore(spec: ProjectSpec, table: PriceTable) {
  const horizonHours = spec.estimate.horizonHours;
  const training = estimateTraining(spec, table);
  const inference = estimateInference(spec, horizonHours, table);
  const storage = estimateStorage(spec, horizonHours, table);
  const network = estimateNetwork(spec, inference.requestsPerHour, horizonHours, table);

  const runningPerHourUsd = roundRate(inference.perHourUsd + network.perHourUsd);
  const monthlyRunningUsd = sumUsd(runningPerHourUsd * HOURS_PER_MONTH, storage.startGb * storage.pricePerGbMonthUsd);
  const retrainingsPerMonth = RETRAININGS_PER_MONTH[spec.requirements.dataScale.updateFrequency];
  const monthly: MonthlyCost = {
    retrainingsPerMonth,
    trainingUsd: roundUsd(retrainingsPerMonth * training.usd),
    inferenceUsd: roundUsd(inference.perHourUsd * HOURS_PER_MONTH),
    storageUsd: roundUsd(storage.startGb * storage.pricePerGbMonthUsd),
    networkUsd: roundUsd(network.perHourUsd * HOURS_PER_MONTH),
    totalUsd: 0,
  };
  const perMonthUsd = sumUsd(monthlyRunningUsd, monthly.trainingUsd);
  monthly.totalUsd = perMonthUsd;
  const totals = {
    first24HoursUsd: sumUsd(training.usd, inference.first24HoursUsd, storage.first24HoursUsd, network.first24HoursUsd),
    horizonUsd: sumUsd(training.usd, inference.horizonUsd, storage.horizonUsd, network.horizonUsd),
    runningPerHourUsd,
    monthlyRunningUsd,
    perMonthUsd,
    perYearUsd: sumUsd(training.usd, perMonthUsd * 12),
  };
  return { training, inference, storage, network, totals, monthly };
}

/** Returns a copy of `spec` with the user scale or the data scale doubled. */
function withScale(spec: ProjectSpec, scale: 'users' | 'data'): ProjectSpec {
  const copy = structuredClone(spec);
  if (scale === 'users') {
    copy.requirements.userScale.users *= 2;
  } else {
    copy.requirements.dataScale.sizeGb *= 2;
    copy.requirements.dataScale.growthGbPerMonth *= 2;
    copy.training.expectedHours *= 2;
  }
  return copy;
}

/**
 * Prices one training run on `estimate.trainingInstanceType`, else on the
 * first candidate. The instance count is that of the first candidate with
 * the type, or 1 when no candidate has it. Always on-demand: spot is a note.
 */
function estimateTraining(spec: ProjectSpec, table: PriceTable): TrainingCostEstimate {
  const instanceType = spec.estimate.trainingInstanceType ?? spec.training.candidates[0].instanceType;
  const instanceCount = spec.training.candidates.find((c) => c.instanceType === instanceType)?.instanceCount ?? 1;
  const hours = spec.training.expectedHours;
  const price = resolvePrice(spec.prices, spec.region, instanceType, 'training', false, table);
  const onDemand = hours * price.pricePerHourUsd * instanceCount;
  return {
    instanceType,
    instanceCount,
    hours,
    pricePerHourUsd: price.pricePerHourUsd,
    priceSource: price.source,
    usd: roundUsd(onDemand),
    spotUsd: roundUsd(onDemand * (1 - table.estimates.spotTrainingDiscount)),
    formula: `${instanceCount} × ${instanceType} × ${formatNumber(hours)} h × ${formatPrice(price.pricePerHourUsd)}/instance-hour`,
  };
}

/**
 * Returns the hosting type the estimate prices: deployment.instanceType,
 * else estimate.hostingInstanceType, else the first training candidate's
 * type, because the benchmark recommends one of the candidates.
 */
export function hostingInstanceType(spec: ProjectSpec): string {
  if (spec.deployment.instanceType !== 'recommended') return spec.deployment.instanceType;
  return spec.estimate.hostingInstanceType ?? spec.training.candidates[0].instanceType;
}

/** Requests per hour from the user scale: users × requestsPerUserPerDay / 24. */
export function requestsPerHour(spec: ProjectSpec): number {
  const scale = spec.requirements.userScale;
  return (scale.users * scale.requestsPerUserPerDay) / 24;
}

function estimateInference(spec: ProjectSpec, horizonHours: number, table: PriceTable): InferenceCostEstimate {
  const instanceType = hostingInstanceType(spec);
  const instanceCount = spec.deployment.instanceCount;
  const perHour = requestsPerHour(spec);
  const perRequestUsd = spec.prices.perRequestUsd;

  let hosting: ResolvedPrice | undefined;
  try {
    hosting = resolvePrice(spec.prices, spec.region, instanceType, 'hosting', false, table);
  } catch (error) {
    // The per-request basis does not need the instance price; it is only shown beside it.
    if (!(error instanceof PriceNotFoundError) || perRequestUsd === undefined) throw error;
  }

  const perRequest = perRequestUsd !== undefined;
  const perHourUsd = roundRate(perRequest ? perHour * perRequestUsd : hosting!.pricePerHourUsd * instanceCount);
  return {
    basis: perRequest ? 'per-request' : 'per-instance-hour',
    instanceType,
    instanceCount,
    requestsPerHour: perHour,
    peakRequestsPerSecond: (perHour / 3600) * spec.requirements.userScale.peakFactor,
    pricePerRequestUsd: perRequestUsd,
    pricePerInstanceHourUsd: hosting?.pricePerHourUsd,
    priceSource: perRequest ? 'override' : hosting!.source,
    perHourUsd,
    first24HoursUsd: roundUsd(perHourUsd * FIRST_DAY_HOURS),
    horizonUsd: roundUsd(perHourUsd * horizonHours),
    formula: perRequest
      ? `${formatNumber(perHour)} requests/h × ${formatPrice(perRequestUsd)}/request`
      : `${instanceCount} × ${instanceType} × ${formatPrice(hosting!.pricePerHourUsd)}/instance-hour`,
  };
}

/**
 * Prices S3 storage of the data set, growing linearly: the GB-months over
 * `hours` are size × months + growth × months² / 2.
 */
function estimateStorage(spec: ProjectSpec, horizonHours: number, table: PriceTable): StorageCostEstimate {
  const { sizeGb, growthGbPerMonth } = spec.requirements.dataScale;
  const price = resolveStoragePrice(spec.prices, spec.region, table);
  const costOver = (hours: number): number => {
    const months = hours / HOURS_PER_MONTH;
    return (sizeGb * months + (growthGbPerMonth * months * months) / 2) * price.priceUsd;
  };
  return {
    startGb: sizeGb,
    endGb: sizeGb + (growthGbPerMonth * horizonHours) / HOURS_PER_MONTH,
    pricePerGbMonthUsd: price.priceUsd,
    priceSource: price.source,
    first24HoursUsd: roundUsd(costOver(FIRST_DAY_HOURS)),
    horizonUsd: roundUsd(costOver(horizonHours)),
    formula:
      `(${formatNumber(sizeGb)} GB × months + ${formatNumber(growthGbPerMonth)} GB/month × months² ÷ 2) × ${formatPrice(price.priceUsd)}/GB-month, ` +
      `months = ${formatNumber(horizonHours)} h ÷ ${HOURS_PER_MONTH}`,
  };
}

/** Prices data transfer out as one payload of `inference.payloadKb` per request. */
function estimateNetwork(spec: ProjectSpec, perHour: number, horizonHours: number, table: PriceTable): NetworkCostEstimate {
  const price = resolveTransferPrice(spec.prices, spec.region, table);
  const gbPerHour = (perHour * spec.inference.payloadKb) / KB_PER_GB;
  const perHourUsd = roundRate(gbPerHour * price.priceUsd);
  return {
    gbPerHour,
    pricePerGbUsd: price.priceUsd,
    priceSource: price.source,
    perHourUsd,
    first24HoursUsd: roundUsd(perHourUsd * FIRST_DAY_HOURS),
    horizonUsd: roundUsd(perHourUsd * horizonHours),
    formula: `${formatNumber(perHour)} requests/h × ${formatNumber(spec.inference.payloadKb)} KB ÷ ${formatNumber(KB_PER_GB)} KB/GB × ${formatPrice(price.priceUsd)}/GB`,
  };
}

function checkBudgets(spec: ProjectSpec, trainingUsd: number, horizonUsd: number, monthlyUsd: number, horizonHours: number): BudgetCheck[] {
  const checks: BudgetCheck[] = [
    check('budgets.perTrainingJobUsd', spec.budgets.perTrainingJobUsd, trainingUsd, 'one training run'),
    check('budgets.totalUsd', spec.budgets.totalUsd, horizonUsd, `total over ${horizonHours} h`),
  ];
  if (spec.budgets.monthlyUsd !== undefined) {
    checks.push(check('budgets.monthlyUsd', spec.budgets.monthlyUsd, monthlyUsd, 'running cost per month'));
  }
  return checks;
}

function check(budget: BudgetCheck['budget'], budgetUsd: number, estimateUsd: number, label: string): BudgetCheck {
  return { budget, budgetUsd, estimateUsd, label, within: estimateUsd <= budgetUsd };
}

function listOverrides(spec: ProjectSpec): string[] {
  const prices = spec.prices;
  const fields = [
    ...Object.keys(prices.training).map((type) => `prices.training.${type}`),
    ...Object.keys(prices.hosting).map((type) => `prices.hosting.${type}`),
  ];
  for (const field of ['perRequestUsd', 'storageGbMonthUsd', 'transferGbUsd'] as const) {
    if (prices[field] !== undefined) fields.push(`prices.${field}`);
  }
  return fields;
}

function buildNotes(
  spec: ProjectSpec,
  training: TrainingCostEstimate,
  inference: InferenceCostEstimate,
  checks: BudgetCheck[],
  table: PriceTable,
  sizing: SizingEstimate,
): string[] {
  const notes = [
    ...checks.filter((c) => !c.within).map((c) => `Over budget: ${c.label} is estimated at ${formatUsd(c.estimateUsd)}, above ${c.budget} of ${formatUsd(c.budgetUsd)}.`),
    ...(sizing.overMax
      ? [
          `Capacity: the peak needs ${plural(sizing.neededInstances ?? 0, 'instance')} at ${Math.round(sizing.targetUtilization * 100)} % utilisation, ` +
            `above requirements.systemScale.maxInstances (${sizing.maxInstances}); raise it or expect slower answers at peak.`,
        ]
      : []),
    priceNote(spec, table),
    inferenceBasisNote(inference),
    `Training is priced on-demand. Managed spot training usually costs about ${Math.round(table.estimates.spotTrainingDiscount * 100)} % less ` +
      `(${formatUsd(training.spotUsd)} for this run) but can be interrupted, so the training script must checkpoint.`,
    ...benchmarkNotes(spec, training),
    'Savings plans and reserved capacity are not applied to the totals; the savings plan comparison shows what they would save ' +
      'on steady hosting, at discount rates that are estimates.',
    sizing.throughputPerInstanceRps === undefined
      ? `The endpoint is priced at a fixed ${plural(inference.instanceCount, 'instance')}; autoscaling for the peak of ` +
        `${inference.peakRequestsPerSecond.toFixed(2)} requests/s is not priced and instance capacity is not checked, ` +
        'because estimate.throughputPerInstanceRps is not set.'
      : `The totals price ${plural(inference.instanceCount, 'instance')} (deployment.instanceCount); the sizing needs ` +
        `${plural(sizing.instanceCount, 'instance')} for the peak of ${inference.peakRequestsPerSecond.toFixed(2)} requests/s, ` +
        'and the real-time inference option prices that count.',
    'Model artifacts, logs, captured requests, Cost Explorer API requests and taxes are not counted; ' +
      'network counts one payload of inference.payloadKb per request as data transfer out.',
  ];
  return notes;
}

function priceNote(spec: ProjectSpec, table: PriceTable): string {
  const overrides = listOverrides(spec);
  const text =
    `Prices not set in the spec come from the ${table === PRICE_TABLE ? 'bundled' : 'price'} table for ${spec.region}: on-demand list prices ` +
    `as of ${table.date}, which may be outdated.`;
  return overrides.length > 0 ? `${text} Set in the spec: ${overrides.join(', ')}.` : text;
}

function inferenceBasisNote(inference: InferenceCostEstimate): string {
  if (inference.basis === 'per-instance-hour') {
    return 'Inference is priced per instance-hour: a real-time endpoint bills every hour it is in service, with or without requests.';
  }
  const instanceCost =
    inference.pricePerInstanceHourUsd === undefined
      ? `no hosting price is known for ${inference.instanceType}`
      : `${inference.instanceCount} × ${inference.instanceType} would bill ` +
        `${formatPrice(inference.pricePerInstanceHourUsd * inference.instanceCount)} per hour`;
  return (
    'Inference is priced per request from prices.perRequestUsd. A real-time SageMaker endpoint bills per ' +
    `instance-hour while in service, used or not: ${instanceCost}.`
  );
}

function benchmarkNotes(spec: ProjectSpec, training: TrainingCostEstimate): string[] {
  const candidates = spec.training.candidates.length;
  const notes = [
    `The benchmark runs ${plural(candidates, 'candidate configuration')}, each capped at budgets.perTrainingJobUsd ` +
      `(${formatUsd(spec.budgets.perTrainingJobUsd)}), so it can cost up to ${formatUsd(candidates * spec.budgets.perTrainingJobUsd)}; ` +
      'the estimate counts one training run.',
  ];
  if (spec.requirements.dataScale.updateFrequency !== 'never') {
    notes.push(
      `Data updates ${spec.requirements.dataScale.updateFrequency}; retraining runs are not counted in the first-day and horizon totals, ` +
        `but the per-month total counts ${formatNumber(RETRAININGS_PER_MONTH[spec.requirements.dataScale.updateFrequency])} per month ` +
        `at about ${formatUsd(training.usd)} each.`,
    );
  }
  return notes;
}

/** Rounds a per-hour rate to a millionth of a dollar, removing float noise such as 0.7000000000000001. */
function roundRate(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

export { estimateToSummary, formatEstimate } from './estimate-summary';
