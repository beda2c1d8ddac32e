/**
 * The deeper parts of the cost estimate: endpoint sizing from the three
 * scales, spot against on-demand training, savings plans for steady hosting,
 * and the inference options side by side. All amounts are USD per 730-hour
 * month unless a name says otherwise.
 */
import { formatNumber, formatPrice, HOURS_PER_MONTH, plural, roundUsd } from './money';
import { PriceNotFoundError, type PriceTable, resolvePrice } from './prices';
import type { ProjectSpec } from './spec';

/** Latency of a batch transform result: the estimate assumes one job per hour, so a result waits up to an hour. */
export const BATCH_TRANSFORM_LATENCY_MS = 3_600_000;

/** Latency an asynchronous endpoint adds when it scaled in to zero and must start an instance: about five minutes, an estimate. */
export const ASYNC_SCALE_OUT_MS = 300_000;

export interface SizingEstimate {
  /** users × requestsPerUserPerDay. */
  requestsPerDay: number;
  /** requestsPerDay / 86,400 × peakFactor. */
  peakRequestsPerSecond: number;
  throughputPerInstanceRps?: number;
  targetUtilization: number;
  /** ceil(peak / (throughput × targetUtilization)); undefined without a throughput. */
  neededInstances?: number;
  /** deployment.instanceCount. */
  minInstances: number;
  /** requirements.systemScale.maxInstances. */
  maxInstances: number;
  /** neededInstances bounded by min and max, or minInstances without a throughput. */
  instanceCount: number;
  /** True when neededInstances exceeds maxInstances, so the peak will not be served within the target utilisation. */
  overMax: boolean;
  formula: string;
}

/** Sizes the real-time endpoint from the user scale and the per-instance throughput of the spec. */
export function sizeEndpoint(spec: ProjectSpec): SizingEstimate {
  const { users, requestsPerUserPerDay, peakFactor } = spec.requirements.userScale;
  const requestsPerDay = users * requestsPerUserPerDay;
  const peakRequestsPerSecond = (requestsPerDay / 86_400) * peakFactor;
  const throughput = spec.estimate.throughputPerInstanceRps;
  const utilization = spec.estimate.targetUtilization;
  const minInstances = spec.deployment.instanceCount;
  const maxInstances = Math.max(spec.requirements.systemScale.maxInstances, minInstances);

  const peakText = `${formatNumber(users)} users × ${formatNumber(requestsPerUserPerDay)} requests/day ÷ 86,400 s × peak factor ${formatNumber(peakFactor)} = ${formatNumber(peakRequestsPerSecond)} requests/s`;
  if (throughput === undefined) {
    return {
      requestsPerDay,
      peakRequestsPerSecond,
      targetUtilization: utilization,
      minInstances,
      maxInstances,
      instanceCount: minInstances,
      overMax: false,
      formula: `${peakText}; no estimate.throughputPerInstanceRps, so deployment.instanceCount (${minInstances}) is used`,
    };
  }
  // A tiny epsilon keeps float noise such as 2.0000000000000004 from adding an instance.
  const neededInstances = Math.max(1, Math.ceil(peakRequestsPerSecond / (throughput * utilization) - 1e-9));
  const instanceCount = Math.min(maxInstances, Math.max(minInstances, neededInstances));
  return {
    requestsPerDay,
    peakRequestsPerSecond,
    throughputPerInstanceRps: throughput,
    targetUtilization: utilization,
    neededInstances,
    minInstances,
    maxInstances,
    instanceCount,
    overMax: neededInstances > maxInstances,
    formula:
      `${peakText}; ceil(${formatNumber(peakRequestsPerSecond)} ÷ (${formatNumber(throughput)} requests/s × ${formatNumber(utilization)})) = ` +
      `${plural(neededInstances, 'instance')}, bounded by ${minInstances} to ${maxInstances}`,
  };
}

export interface SpotComparison {
  onDemandUsd: number;
  /** Fraction of extra run time for interruptions, estimate.spotInterruptionOverhead. */
  interruptionOverhead: number;
  /** hours × (1 + interruptionOverhead). */
  spotHours: number;
  /** On-demand price × (1 − spot discount). */
  spotPricePerHourUsd: number;
  spotUsd: number;
  savingUsd: number;
  formula: string;
}

/** Compares one training run on-demand with the same run on spot capacity, which runs longer when interrupted. */
export function compareSpot(
  training: { instanceType: string; instanceCount: number; hours: number; pricePerHourUsd: number; usd: number },
  overhead: number,
  table: PriceTable,
): SpotComparison {
  const discount = table.estimates.spotTrainingDiscount;
  const spotPricePerHourUsd = Math.round(training.pricePerHourUsd * (1 - discount) * 1e6) / 1e6;
  const spotHours = training.hours * (1 + overhead);
  const spotUsd = roundUsd(spotHours * spotPricePerHourUsd * training.instanceCount);
  return {
    onDemandUsd: training.usd,
    interruptionOverhead: overhead,
    spotHours,
    spotPricePerHourUsd,
    spotUsd,
    savingUsd: roundUsd(training.usd - spotUsd),
    formula:
      `${training.instanceCount} × ${training.instanceType} × ${formatNumber(training.hours)} h × (1 + ${formatNumber(overhead)} interruption overhead) × ` +
      `${formatPrice(training.pricePerHourUsd)} × (1 − ${formatNumber(discount)} spot discount)`,
  };
}

export interface SavingsPlanOption {
  term: 'on-demand' | '1-year' | '3-year';
  termMonths: number;
  /** Saving against on-demand, as a fraction: an estimate from the price table. */
  discount: number;
  monthlyUsd: number;
  /** Whole commitment over the term: monthlyUsd × termMonths. */
  commitmentUsd: number;
  /**
   * Months the endpoint must run on-demand before the commitment pays off:
   * termMonths × (1 − discount). Stopping earlier makes the plan the dearer choice.
   */
  breakEvenMonths: number;
}

/** Prices the steady hosting cost `onDemandMonthlyUsd` on-demand and under 1- and 3-year savings plans. */
export function compareSavingsPlans(onDemandMonthlyUsd: number, table: PriceTable): SavingsPlanOption[] {
  const plan = (term: SavingsPlanOption['term'], termMonths: number, discount: number): SavingsPlanOption => {
    const monthlyUsd = roundUsd(onDemandMonthlyUsd * (1 - discount));
    return { term, termMonths, discount, monthlyUsd, commitmentUsd: roundUsd(monthlyUsd * termMonths), breakEvenMonths: termMonths * (1 - discount) };
  };
  return [
    plan('on-demand', 0, 0),
    plan('1-year', 12, table.estimates.savingsPlanOneYearDiscount),
    plan('3-year', 36, table.estimates.savingsPlanThreeYearDiscount),
  ];
}

export type InferenceOptionName = 'real-time' | 'serverless' | 'batch-transform' | 'asynchronous';

export interface InferenceOption {
  option: InferenceOptionName;
  /** Undefined when a figure the option needs is missing; `reason` names it. */
  monthlyUsd?: number;
  /** Time to return one response in the worst usual case, in ms. Undefined when estimate.latencyMs is missing. */
  latencyMs?: number;
  meetsLatencyTarget: boolean;
  formula: string;
  reason?: string;
}

export interface InferenceOptions {
  /** requirements.latencyTargetMs, when set. */
  latencyTargetMs?: number;
  options: InferenceOption[];
  /** The cheapest priced option that meets the target, if any. */
  recommended?: InferenceOptionName;
  reason: string;
}

/**
 * Prices the four SageMaker inference options for the spec's load over a
 * 730-hour month and recommends the cheapest that meets the latency target.
 * Without requirements.latencyTargetMs only real-time and serverless
 * qualify, because the spec describes a service that serves requests online.
 */
export function compareInferenceOptions(spec: ProjectSpec, sizing: SizingEstimate, instanceType: string, table: PriceTable): InferenceOptions {
  const requestsPerMonth = (sizing.requestsPerDay / 24) * HOURS_PER_MONTH;
  const latency = spec.estimate.latencyMs;
  const throughput = spec.estimate.throughputPerInstanceRps;
  const target = spec.requirements.latencyTargetMs;
  let hostingPrice: number | undefined;
  try {
    hostingPrice = resolvePrice(spec.prices, spec.region, instanceType, 'hosting', false, table).pricePerHourUsd;
  } catch (error) {
    if (!(error instanceof PriceNotFoundError)) throw error;
  }

  const qualifies = (option: InferenceOptionName, latencyMs: number | undefined): boolean => {
    if (target === undefined) return option === 'real-time' || option === 'serverless';
    return latencyMs !== undefined && latencyMs <= target;
  };
  const noHostingPrice = `no hosting price for ${instanceType}: set prices.hosting.${instanceType}`;
  const noThroughput = 'needs estimate.throughputPerInstanceRps';
  const busyHours = throughput === undefined ? undefined : requestsPerMonth / (throughput * 3600);
  let jobReason: string | undefined;
  if (busyHours === undefined) jobReason = noThroughput;
  else if (hostingPrice === undefined) jobReason = noHostingPrice;
  const requestsText = `${formatNumber(requestsPerMonth)} requests/month`;

  const realTime: InferenceOption = {
    option: 'real-time',
    monthlyUsd: hostingPrice === undefined ? undefined : roundUsd(sizing.instanceCount * hostingPrice * HOURS_PER_MONTH),
    latencyMs: latency,
    meetsLatencyTarget: qualifies('real-time', latency),
    formula: hostingPrice === undefined ? '-' : `${sizing.instanceCount} × ${instanceType} × ${HOURS_PER_MONTH} h × ${formatPrice(hostingPrice)}/instance-hour`,
    reason: hostingPrice === undefined ? noHostingPrice : undefined,
  };

  const memoryGb = spec.estimate.serverlessMemoryGb;
  const serverlessLatency = latency === undefined ? undefined : latency + table.estimates.serverlessColdStartMs;
  const serverless: InferenceOption = {
    option: 'serverless',
    monthlyUsd:
      latency === undefined
        ? undefined
        : roundUsd(requestsPerMonth * (latency / 1000) * memoryGb * table.estimates.serverlessGbSecondUsd + requestsPerMonth * table.estimates.serverlessRequestUsd),
    latencyMs: serverlessLatency,
    meetsLatencyTarget: qualifies('serverless', serverlessLatency),
    formula:
      latency === undefined
        ? '-'
        : `${requestsText} × (${formatNumber(latency / 1000, 3)} s × ${memoryGb} GB × ${formatPrice(table.estimates.serverlessGbSecondUsd)}/GB-second) + ` +
          `${requestsText} × ${formatPrice(table.estimates.serverlessRequestUsd * 1e6)}/million requests; latency includes a ` +
          `${formatNumber(table.estimates.serverlessColdStartMs)} ms cold start`,
    reason: latency === undefined ? 'needs estimate.latencyMs' : undefined,
  };

  const batch: InferenceOption = {
    option: 'batch-transform',
    monthlyUsd: busyHours === undefined || hostingPrice === undefined ? undefined : roundUsd(busyHours * hostingPrice),
    latencyMs: BATCH_TRANSFORM_LATENCY_MS,
    meetsLatencyTarget: qualifies('batch-transform', BATCH_TRANSFORM_LATENCY_MS),
    formula:
      throughput === undefined
        ? '-'
        : `${requestsText} ÷ (${formatNumber(throughput)} requests/s × 3,600 s) instance-hours × ${formatPrice(hostingPrice ?? 0)}/instance-hour, one job per hour`,
    reason: jobReason,
  };

  const asyncLatency = latency === undefined ? undefined : latency + ASYNC_SCALE_OUT_MS;
  const utilization = spec.estimate.targetUtilization;
  const asynchronous: InferenceOption = {
    option: 'asynchronous',
    monthlyUsd: busyHours === undefined || hostingPrice === undefined ? undefined : roundUsd((busyHours / utilization) * hostingPrice),
    latencyMs: asyncLatency,
    meetsLatencyTarget: qualifies('asynchronous', asyncLatency),
    formula:
      throughput === undefined
        ? '-'
        : `${requestsText} ÷ (${formatNumber(throughput)} requests/s × 3,600 s × ${formatNumber(utilization)} utilisation) instance-hours × ` +
          `${formatPrice(hostingPrice ?? 0)}/instance-hour, scaling to zero when idle`,
    reason: jobReason,
  };

  const options = [realTime, serverless, batch, asynchronous];
  const eligible = options.filter((o) => o.meetsLatencyTarget && o.monthlyUsd !== undefined);
  const cheapest = eligible.reduce<InferenceOption | undefined>((best, o) => (best === undefined || o.monthlyUsd! < best.monthlyUsd! ? o : best), undefined);
  const targetText = target === undefined ? 'no latency target (requirements.latencyTargetMs), so only online options qualify' : `the ${formatNumber(target)} ms latency target`;
  return {
    latencyTargetMs: target,
    options,
    recommended: cheapest?.option,
    reason: cheapest
      ? `${cheapest.option} is the cheapest option that meets ${targetText}.`
      : `No priced option meets ${targetText}.`,
  };
}
