/**
 * Monotonicity of the estimate: more training hours, more instances, more
 * users or more data never cost less. Specs come from a small deterministic
 * generator (a linear congruential generator with a fixed seed), so a
 * failure names a case that reproduces on every run.
 */
import { type CostEstimate, estimateCost } from '../../domain/estimate';
import { makeSpec } from './fixtures';

/** Returns a generator of numbers in [0, 1) from a 32-bit linear congruential generator. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1'];
const TYPES = ['ml.m5.large', 'ml.m5.xlarge', 'ml.c5.xlarge', 'ml.g4dn.xlarge', 'ml.p3.2xlarge'];
const FREQUENCIES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly', 'never'];

interface Case {
  region: string;
  type: string;
  users: number;
  requestsPerUserPerDay: number;
  peakFactor: number;
  hours: number;
  horizonHours: number;
  trainingCount: number;
  hostingCount: number;
  maxInstances: number;
  sizeGb: number;
  growth: number;
  frequency: string;
  perRequestUsd?: number;
  throughput?: number;
  latencyMs?: number;
  latencyTargetMs?: number;
}

function generateCases(count: number): Case[] {
  const next = random(20261204);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return Array.from({ length: count }, () => ({
    region: pick(REGIONS),
    type: pick(TYPES),
    users: int(1, 100000),
    requestsPerUserPerDay: int(1, 200),
    peakFactor: 1 + int(0, 40) / 10,
    hours: int(1, 48) / 2,
    horizonHours: int(24, 2000),
    trainingCount: int(1, 4),
    hostingCount: int(1, 4),
    maxInstances: int(1, 20),
    sizeGb: int(0, 2000),
    growth: int(0, 100),
    frequency: pick(FREQUENCIES),
    perRequestUsd: next() < 0.3 ? int(1, 100) / 1e6 : undefined,
    throughput: next() < 0.7 ? int(1, 200) : undefined,
    latencyMs: next() < 0.7 ? int(5, 2000) : undefined,
    latencyTargetMs: next() < 0.5 ? int(50, 4_000_000) : undefined,
  }));
}

function estimateCase(c: Case): CostEstimate {
  return estimateCost(
    makeSpec((raw) => {
      raw.region = c.region;
      raw.requirements.userScale = { users: c.users, requestsPerUserPerDay: c.requestsPerUserPerDay, peakFactor: c.peakFactor };
      raw.requirements.systemScale = { maxInstances: c.maxInstances };
      raw.requirements.dataScale = { sizeGb: c.sizeGb, growthGbPerMonth: c.growth, updateFrequency: c.frequency };
      if (c.latencyTargetMs !== undefined) raw.requirements.latencyTargetMs = c.latencyTargetMs;
      raw.training.candidates = [{ instanceType: c.type, instanceCount: c.trainingCount }];
      raw.training.expectedHours = c.hours;
      raw.deployment = { instanceType: c.type, instanceCount: c.hostingCount };
      raw.estimate = { throughputPerInstanceRps: c.throughput, latencyMs: c.latencyMs, horizonHours: c.horizonHours };
      if (c.perRequestUsd !== undefined) raw.prices = { perRequestUsd: c.perRequestUsd };
    }),
  );
}

/** Every amount of the estimate that must not fall when a cost driver grows, by name. */
function amounts(estimate: CostEstimate): Record<string, number> {
  const figures: Record<string, number> = {
    'training.usd': estimate.training.usd,
    'spot.spotUsd': estimate.spot.spotUsd,
    'inference.perHourUsd': estimate.inference.perHourUsd,
    'totals.first24HoursUsd': estimate.totals.first24HoursUsd,
    'totals.horizonUsd': estimate.totals.horizonUsd,
    'totals.perMonthUsd': estimate.totals.perMonthUsd,
    'totals.perYearUsd': estimate.totals.perYearUsd,
    'sizing.instanceCount': estimate.sizing.instanceCount,
  };
  for (const plan of estimate.savingsPlans) figures[`savingsPlans.${plan.term}`] = plan.monthlyUsd;
  for (const option of estimate.inferenceOptions.options) {
    if (option.monthlyUsd !== undefined) figures[`options.${option.option}`] = option.monthlyUsd;
  }
  return figures;
}

const GROWTHS: { name: string; grow: (c: Case) => Case }[] = [
  { name: 'more training hours', grow: (c) => ({ ...c, hours: c.hours * 2 }) },
  { name: 'longer horizon', grow: (c) => ({ ...c, horizonHours: c.horizonHours * 2 }) },
  { name: 'more training instances', grow: (c) => ({ ...c, trainingCount: c.trainingCount + 1 }) },
  { name: 'more hosting instances', grow: (c) => ({ ...c, hostingCount: c.hostingCount + 1, maxInstances: Math.max(c.maxInstances, c.hostingCount + 1) }) },
  { name: 'more users', grow: (c) => ({ ...c, users: c.users * 2 }) },
  { name: 'more requests per user', grow: (c) => ({ ...c, requestsPerUserPerDay: c.requestsPerUserPerDay + 7 }) },
  { name: 'more data', grow: (c) => ({ ...c, sizeGb: c.sizeGb + 100, growth: c.growth + 5 }) },
];

const CASES = generateCases(60);

describe.each(GROWTHS)('$name', ({ name, grow }) => {
  test('never costs less', () => {
    for (const [index, c] of CASES.entries()) {
      const before = amounts(estimateCase(c));
      const after = amounts(estimateCase(grow(c)));
      for (const [figure, value] of Object.entries(before)) {
        if (after[figure] === undefined) continue;
        if (after[figure] < value) {
          throw new Error(`${name}: ${figure} fell from ${value} to ${after[figure]} in case ${index} ${JSON.stringify(c)}`);
        }
      }
    }
  });
});

describe('monotonicity check', () => {
  test('detects a cheaper change', () => {
    // The check must be able to fail: fewer users lower the per-request inference cost.
    const c: Case = { ...CASES[0], perRequestUsd: 0.0001, users: 1000 };
    const fewer = amounts(estimateCase({ ...c, users: 500 }));
    expect(fewer['inference.perHourUsd']).toBeLessThan(amounts(estimateCase(c))['inference.perHourUsd']);
  });
});
