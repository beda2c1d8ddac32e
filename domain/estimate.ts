/**
 * The cost estimate a project gets before anything runs: one training run,
 * inference, storage and network over a horizon, from the spec's three
 * scales and the resolved prices. Amounts are US dollars rounded to cents,
 * except unit prices and per-hour rates, which keep up to a millionth of a
 * dollar so that small per-request prices stay visible.
 */
import { formatPrice, formatUsd, HOURS_PER_MONTH, plural, roundUsd, sumUsd } from './money';
import {
  PRICE_TABLE,
  PriceNotFoundError,
  resolvePrice,
  type ResolvedPrice,
  resolveStoragePrice,
  resolveTransferPrice,
  SPOT_TRAINING_DISCOUNT,
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
}

export interface StorageCostEstimate {
  startGb: number;
  /** Size at the end of the horizon, with dataScale.growthGbPerMonth. */
  endGb: number;
  pricePerGbMonthUsd: number;
  priceSource: string;
  first24HoursUsd: number;
  horizonUsd: number;
}

export interface NetworkCostEstimate {
  /** requestsPerHour × payloadKb, in GB. */
  gbPerHour: number;
  pricePerGbUsd: number;
  priceSource: string;
  perHourUsd: number;
  first24HoursUsd: number;
  horizonUsd: number;
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
  };
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
export function estimateCost(spec: ProjectSpec): CostEstimate {
  const horizonHours = spec.estimate.horizonHours;
  const training = estimateTraining(spec);
  const inference = estimateInference(spec, horizonHours);
  const storage = estimateStorage(spec, horizonHours);
  const network = estimateNetwork(spec, inference.requestsPerHour, horizonHours);

  const runningPerHourUsd = roundRate(inference.perHourUsd + network.perHourUsd);
  const totals = {
    first24HoursUsd: sumUsd(training.usd, inference.first24HoursUsd, storage.first24HoursUsd, network.first24HoursUsd),
    horizonUsd: sumUsd(training.usd, inference.horizonUsd, storage.horizonUsd, network.horizonUsd),
    runningPerHourUsd,
    monthlyRunningUsd: sumUsd(runningPerHourUsd * HOURS_PER_MONTH, storage.startGb * storage.pricePerGbMonthUsd),
  };
  const budgetChecks = checkBudgets(spec, training.usd, totals.horizonUsd, totals.monthlyRunningUsd, horizonHours);

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
    budgetChecks,
    prices: { tableDate: PRICE_TABLE.date, tableSource: PRICE_TABLE.source, region: spec.region, overrides: listOverrides(spec) },
    notes: buildNotes(spec, training, inference, budgetChecks),
  };
}

/**
 * Prices one training run on `estimate.trainingInstanceType`, else on the
 * first candidate. The instance count is that of the first candidate with
 * the type, or 1 when no candidate has it. Always on-demand: spot is a note.
 */
function estimateTraining(spec: ProjectSpec): TrainingCostEstimate {
  const instanceType = spec.estimate.trainingInstanceType ?? spec.training.candidates[0].instanceType;
  const instanceCount = spec.training.candidates.find((c) => c.instanceType === instanceType)?.instanceCount ?? 1;
  const hours = spec.training.expectedHours;
  const price = resolvePrice(spec.prices, spec.region, instanceType, 'training');
  const onDemand = hours * price.pricePerHourUsd * instanceCount;
  return {
    instanceType,
    instanceCount,
    hours,
    pricePerHourUsd: price.pricePerHourUsd,
    priceSource: price.source,
    usd: roundUsd(onDemand),
    spotUsd: roundUsd(onDemand * (1 - SPOT_TRAINING_DISCOUNT)),
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

function estimateInference(spec: ProjectSpec, horizonHours: number): InferenceCostEstimate {
  const instanceType = hostingInstanceType(spec);
  const instanceCount = spec.deployment.instanceCount;
  const perHour = requestsPerHour(spec);
  const perRequestUsd = spec.prices.perRequestUsd;

  let hosting: ResolvedPrice | undefined;
  try {
    hosting = resolvePrice(spec.prices, spec.region, instanceType, 'hosting');
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
  };
}

/**
 * Prices S3 storage of the data set, growing linearly: the GB-months over
 * `hours` are size × months + growth × months² / 2.
 */
function estimateStorage(spec: ProjectSpec, horizonHours: number): StorageCostEstimate {
  const { sizeGb, growthGbPerMonth } = spec.requirements.dataScale;
  const price = resolveStoragePrice(spec.prices, spec.region);
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
  };
}

/** Prices data transfer out as one payload of `inference.payloadKb` per request. */
function estimateNetwork(spec: ProjectSpec, perHour: number, horizonHours: number): NetworkCostEstimate {
  const price = resolveTransferPrice(spec.prices, spec.region);
  const gbPerHour = (perHour * spec.inference.payloadKb) / KB_PER_GB;
  const perHourUsd = roundRate(gbPerHour * price.priceUsd);
  return {
    gbPerHour,
    pricePerGbUsd: price.priceUsd,
    priceSource: price.source,
    perHourUsd,
    first24HoursUsd: roundUsd(perHourUsd * FIRST_DAY_HOURS),
    horizonUsd: roundUsd(perHourUsd * horizonHours),
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

function buildNotes(spec: ProjectSpec, training: TrainingCostEstimate, inference: InferenceCostEstimate, checks: BudgetCheck[]): string[] {
  const notes = [
    ...checks.filter((c) => !c.within).map((c) => `Over budget: ${c.label} is estimated at ${formatUsd(c.estimateUsd)}, above ${c.budget} of ${formatUsd(c.budgetUsd)}.`),
    priceNote(spec),
    inferenceBasisNote(inference),
    `Training is priced on-demand. Managed spot training usually costs about ${Math.round(SPOT_TRAINING_DISCOUNT * 100)} % less ` +
      `(${formatUsd(training.spotUsd)} for this run) but can be interrupted, so the training script must checkpoint.`,
    ...benchmarkNotes(spec, training),
    'Savings plans and reserved capacity are not applied; both lower the cost of steady hosting load.',
    `The endpoint is priced at a fixed ${plural(inference.instanceCount, 'instance')}; autoscaling for the peak of ` +
      `${inference.peakRequestsPerSecond.toFixed(2)} requests/s is not priced and instance capacity is not checked.`,
    'Model artifacts, logs, captured requests, Cost Explorer API requests and taxes are not counted; ' +
      'network counts one payload of inference.payloadKb per request as data transfer out.',
  ];
  return notes;
}

function priceNote(spec: ProjectSpec): string {
  const overrides = listOverrides(spec);
  const table =
    `Prices not set in the spec come from the bundled table for ${spec.region}: on-demand list prices ` +
    `as of ${PRICE_TABLE.date}, which may be outdated.`;
  return overrides.length > 0 ? `${table} Set in the spec: ${overrides.join(', ')}.` : table;
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
      `Data updates ${spec.requirements.dataScale.updateFrequency}; retraining runs are not counted and each costs about ${formatUsd(training.usd)}.`,
    );
  }
  return notes;
}

/** Rounds a per-hour rate to a millionth of a dollar, removing float noise such as 0.7000000000000001. */
function roundRate(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

export { estimateToSummary, formatEstimate } from './estimate-summary';
