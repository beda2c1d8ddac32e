/**
 * Endpoint sizing and the cost per 1,000 predictions of each measured
 * hosting configuration. The throughput and latency of one instance come
 * from a load test, or from the spec's estimate section before any test.
 * The load comes from the user scale. Prices are per instance-hour and
 * amounts are US dollars.
 */
import type { CostEstimate } from './estimate';
import { HOURS_PER_MONTH, formatNumber, formatPrice, plural, roundUsd } from './money';
import { PriceNotFoundError, resolvePrice, type PriceTable } from './prices';
import type { ProjectSpec } from './spec';
import type { LoadTestResult } from './status';

/** The load an endpoint must serve and the limits it is sized within. */
export interface LoadPlan {
  /** Average requests per hour: users × requestsPerUserPerDay ÷ 24. */
  requestsPerHour: number;
  /** requestsPerHour ÷ 3,600 × peakFactor. */
  peakRequestsPerSecond: number;
  /** Share of an instance's measured throughput to plan for at peak (estimate.targetUtilization). */
  targetUtilization: number;
  /** requirements.systemScale.maxInstances. */
  maxInstances: number;
  /** requirements.latencyTargetMs, when set. */
  latencyTargetMs?: number;
}

/** Throughput and latency of one instance of a hosting type, with its price. */
export interface HostingMeasurement {
  instanceType: string;
  /** On-demand price per instance-hour. */
  pricePerHourUsd: number;
  /** Requests per second one instance served. */
  throughputRps: number;
  /** 95th-percentile latency in ms from a load test, or estimate.latencyMs; undefined when unknown. */
  latencyMs?: number;
  source: 'load test' | 'spec';
  /** Requests of the load test and how many failed; absent for spec figures. */
  requests?: number;
  errors?: number;
}

export interface HostingSizing {
  measurement: HostingMeasurement;
  /** ceil(peak ÷ (throughput × targetUtilization)), at least 1. */
  neededInstances: number;
  /** neededInstances, at most maxInstances. */
  instanceCount: number;
  maxInstances: number;
  /** Share of the instances' throughput used at peak: peak ÷ (instanceCount × throughput). */
  peakUtilization: number;
  /**
   * Whether the latency stays within requirements.latencyTargetMs at peak:
   * the measured latency is within it and the instances are not overloaded
   * (peakUtilization at most 1). Undefined without a target or a latency.
   */
  latencyTargetMet?: boolean;
  /** Price ÷ requests one instance serves in an hour at full use, × 1,000. */
  costPer1000AtFullUseUsd: number;
  /** Price × instanceCount ÷ the planned requests per hour, × 1,000: what a prediction costs at the expected load. */
  costPer1000AtPlannedLoadUsd: number;
  /** instanceCount × price × 730 hours. */
  monthlyUsd: number;
  /** Problems of this configuration, one sentence each: too few instances allowed, a missed latency target, failed requests. */
  warnings: string[];
  /** The inputs of the instance count and of both unit costs. */
  formula: string;
}

/** Returns the load plan of a spec. */
export function loadPlanFromSpec(spec: ProjectSpec): LoadPlan {
  const { users, requestsPerUserPerDay, peakFactor } = spec.requirements.userScale;
  const requestsPerHour = (users * requestsPerUserPerDay) / 24;
  return {
    requestsPerHour,
    peakRequestsPerSecond: (requestsPerHour / 3600) * peakFactor,
    targetUtilization: spec.estimate.targetUtilization,
    maxInstances: spec.requirements.systemScale.maxInstances,
    latencyTargetMs: spec.requirements.latencyTargetMs,
  };
}

/**
 * Returns the load plan recorded in a cost estimate, for readers that have
 * the estimate but not the spec (the report). Undefined for estimates made
 * before they carried the sizing figures.
 */
export function loadPlanFromEstimate(estimate: CostEstimate): LoadPlan | undefined {
  const sizing = estimate.sizing;
  if (!sizing || typeof sizing.requestsPerDay !== 'number') return undefined;
  return {
    requestsPerHour: sizing.requestsPerDay / 24,
    peakRequestsPerSecond: sizing.peakRequestsPerSecond,
    targetUtilization: sizing.targetUtilization,
    maxInstances: sizing.maxInstances,
    latencyTargetMs: estimate.inferenceOptions?.latencyTargetMs,
  };
}

/** Returns the measurement of a load test: its throughput and its 95th-percentile latency. */
export function measurementFromLoadTest(result: LoadTestResult): HostingMeasurement {
  return {
    instanceType: result.instanceType,
    pricePerHourUsd: result.pricePerHourUsd,
    throughputRps: result.throughputRps,
    latencyMs: result.latencyMs.p95,
    source: 'load test',
    requests: result.requests,
    errors: result.errors,
  };
}

/**
 * Returns the spec's expected figures (estimate.throughputPerInstanceRps
 * and estimate.latencyMs) on `instanceType` as a measurement. Undefined
 * without a throughput or without a hosting price for the type.
 */
export function measurementFromSpec(spec: ProjectSpec, instanceType: string, table?: PriceTable): HostingMeasurement | undefined {
  const throughputRps = spec.estimate.throughputPerInstanceRps;
  if (throughputRps === undefined) return undefined;
  let pricePerHourUsd: number;
  try {
    pricePerHourUsd = resolvePrice(spec.prices, spec.region, instanceType, 'hosting', false, table).pricePerHourUsd;
  } catch (error) {
    if (error instanceof PriceNotFoundError) return undefined;
    throw error;
  }
  return { instanceType, pricePerHourUsd, throughputRps, latencyMs: spec.estimate.latencyMs, source: 'spec' };
}

/** Returns the hosting types to load-test: loadTest.instanceTypes, else the deployment's type. */
export function loadTestInstanceTypes(spec: ProjectSpec, deploymentInstanceType: string): string[] {
  return spec.loadTest?.instanceTypes ?? [deploymentInstanceType];
}

/**
 * Sizes an endpoint of the measured type for the plan and prices its
 * predictions. Throws RangeError when the throughput or the planned load
 * is not positive, because neither unit cost exists then.
 */
export function sizeHosting(measurement: HostingMeasurement, plan: LoadPlan): HostingSizing {
  const { instanceType, throughputRps, pricePerHourUsd, latencyMs } = measurement;
  if (!(throughputRps > 0)) {
    throw new RangeError(`invalid throughput ${throughputRps} requests/s for ${instanceType}: expected a positive number`);
  }
  if (!(plan.requestsPerHour > 0)) {
    throw new RangeError(`invalid planned load ${plan.requestsPerHour} requests/h: expected a positive number`);
  }

  // A tiny epsilon keeps float noise such as 2.0000000000000004 from adding an instance.
  const neededInstances = Math.max(1, Math.ceil(plan.peakRequestsPerSecond / (throughputRps * plan.targetUtilization) - 1e-9));
  const instanceCount = Math.min(neededInstances, plan.maxInstances);
  const peakUtilization = plan.peakRequestsPerSecond / (instanceCount * throughputRps);
  const latencyTargetMet =
    plan.latencyTargetMs === undefined || latencyMs === undefined ? undefined : latencyMs <= plan.latencyTargetMs && peakUtilization <= 1;

  const costPer1000AtFullUseUsd = (pricePerHourUsd / (throughputRps * 3600)) * 1000;
  const costPer1000AtPlannedLoadUsd = ((pricePerHourUsd * instanceCount) / plan.requestsPerHour) * 1000;

  return {
    measurement,
    neededInstances,
    instanceCount,
    maxInstances: plan.maxInstances,
    peakUtilization,
    latencyTargetMet,
    costPer1000AtFullUseUsd,
    costPer1000AtPlannedLoadUsd,
    monthlyUsd: roundUsd(pricePerHourUsd * instanceCount * HOURS_PER_MONTH),
    warnings: sizingWarnings(measurement, plan, neededInstances, instanceCount, peakUtilization),
    formula:
      `ceil(${formatNumber(plan.peakRequestsPerSecond, 3)} requests/s at peak ÷ (${formatNumber(throughputRps)} requests/s × ` +
      `${formatNumber(plan.targetUtilization)})) = ${plural(neededInstances, 'instance')}, at most ${plan.maxInstances}; ` +
      `full use: ${formatPrice(pricePerHourUsd)}/instance-hour ÷ (${formatNumber(throughputRps)} requests/s × 3,600 s) × 1,000; ` +
      `planned load: ${instanceCount} × ${formatPrice(pricePerHourUsd)}/instance-hour ÷ ${formatNumber(plan.requestsPerHour)} requests/h × 1,000`,
  };
}

function sizingWarnings(measurement: HostingMeasurement, plan: LoadPlan, needed: number, count: number, peakUtilization: number): string[] {
  const { instanceType, latencyMs } = measurement;
  const warnings: string[] = [];
  if (needed > plan.maxInstances) {
    const overload = peakUtilization > 1 ? ', so requests queue and fail at peak' : '';
    warnings.push(
      `${instanceType} needs ${plural(needed, 'instance')} for the peak of ${formatNumber(plan.peakRequestsPerSecond, 3)} requests/s ` +
        `at ${formatNumber(plan.targetUtilization * 100, 0)} % utilisation, but requirements.systemScale.maxInstances allows ${plan.maxInstances}: ` +
        `${plural(count, 'instance')} would run at ${formatNumber(peakUtilization * 100, 0)} % at peak${overload}. ` +
        'Raise maxInstances or choose a faster instance type.',
    );
  }
  if (plan.latencyTargetMs !== undefined && latencyMs !== undefined && latencyMs > plan.latencyTargetMs) {
    warnings.push(
      `${instanceType} responded in ${formatNumber(latencyMs, 1)} ms at the 95th percentile, above requirements.latencyTargetMs of ` +
        `${formatNumber(plan.latencyTargetMs)} ms.`,
    );
  }
  if (measurement.errors !== undefined && measurement.requests !== undefined && measurement.errors > 0) {
    warnings.push(
      `${plural(measurement.errors, 'request')} of ${formatNumber(measurement.requests)} failed in the load test of ${instanceType}; ` +
        'its throughput counts only the requests that succeeded.',
    );
  }
  return warnings;
}

/** The sizing of every measured hosting type, and the cheapest per prediction at the planned load that meets the latency target. */
export interface HostingComparison {
  plan: LoadPlan;
  sizings: HostingSizing[];
  /** Instance type with the lowest costPer1000AtPlannedLoadUsd among those that meet the target and need no more than maxInstances. */
  cheapest?: string;
}

/**
 * Sizes every measurement and picks the cheapest qualifying type. A type
 * qualifies when it fits within maxInstances and does not miss the latency
 * target; without a target or a latency, fitting is enough.
 */
export function compareHosting(measurements: HostingMeasurement[], plan: LoadPlan): HostingComparison {
  const sizings = measurements.map((measurement) => sizeHosting(measurement, plan));
  const qualifying = sizings.filter((sizing) => sizing.neededInstances <= sizing.maxInstances && sizing.latencyTargetMet !== false);
  const cheapest = qualifying.reduce<HostingSizing | undefined>(
    (best, sizing) => (best === undefined || sizing.costPer1000AtPlannedLoadUsd < best.costPer1000AtPlannedLoadUsd ? sizing : best),
    undefined,
  );
  return { plan, sizings, cheapest: cheapest?.measurement.instanceType };
}

/**
 * Returns the spec's expected throughput as the estimate recorded it, for
 * readers without the spec (the report). Undefined when the estimate has no
 * throughput or no hosting price.
 */
export function measurementFromEstimate(estimate: CostEstimate): HostingMeasurement | undefined {
  const throughputRps = estimate.sizing?.throughputPerInstanceRps;
  const pricePerHourUsd = estimate.inference?.pricePerInstanceHourUsd;
  if (throughputRps === undefined || pricePerHourUsd === undefined) return undefined;
  const realTime = estimate.inferenceOptions?.options.find((option) => option.option === 'real-time');
  return { instanceType: estimate.inference.instanceType, pricePerHourUsd, throughputRps, latencyMs: realTime?.latencyMs, source: 'spec' };
}
