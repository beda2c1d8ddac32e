/**
 * Endpoint sizing and the cost per 1,000 predictions, with figures checked
 * by hand in the comments.
 */
import { estimateCost } from '../../domain/estimate';
import {
  compareHosting,
  loadPlanFromEstimate,
  loadPlanFromSpec,
  loadTestInstanceTypes,
  measurementFromLoadTest,
  measurementFromSpec,
  sizeHosting,
  type HostingMeasurement,
  type LoadPlan,
} from '../../domain/sizing';
import type { LoadTestResult } from '../../domain/status';
import { makeSpec } from './fixtures';

/** 200 users × 50 requests a day: 416.67 requests/h on average, × 2 at peak = 0.2315 requests/s. */
function quickstartPlan(change: Partial<LoadPlan> = {}): LoadPlan {
  return { requestsPerHour: 10_000 / 24, peakRequestsPerSecond: (10_000 / 86_400) * 2, targetUtilization: 0.7, maxInstances: 1, ...change };
}

function measurement(change: Partial<HostingMeasurement> = {}): HostingMeasurement {
  return { instanceType: 'ml.m5.large', pricePerHourUsd: 0.115, throughputRps: 50, latencyMs: 12, source: 'load test', ...change };
}

describe('load plan', () => {
  test('spec plan from user scale', () => {
    const spec = makeSpec((raw) => {
      raw.requirements.userScale = { users: 200, requestsPerUserPerDay: 50, peakFactor: 2 };
      raw.requirements.systemScale = { maxInstances: 3 };
      raw.requirements.latencyTargetMs = 100;
      raw.estimate = { targetUtilization: 0.6 };
    });

    const plan = loadPlanFromSpec(spec);

    // 200 × 50 = 10,000 requests/day ÷ 24 = 416.67/h; ÷ 3,600 × 2 = 0.23148 requests/s.
    expect(plan.requestsPerHour).toBeCloseTo(416.6667, 4);
    expect(plan.peakRequestsPerSecond).toBeCloseTo(0.231481, 6);
    expect(plan.targetUtilization).toBe(0.6);
    expect(plan.maxInstances).toBe(3);
    expect(plan.latencyTargetMs).toBe(100);
  });

  test('estimate plan equals spec plan', () => {
    const spec = makeSpec((raw) => {
      raw.requirements.userScale = { users: 1200, requestsPerUserPerDay: 30, peakFactor: 3 };
      raw.requirements.systemScale = { maxInstances: 4 };
      raw.requirements.latencyTargetMs = 250;
    });

    const fromEstimate = loadPlanFromEstimate(estimateCost(spec));
    const fromSpec = loadPlanFromSpec(spec);

    expect(fromEstimate?.requestsPerHour).toBeCloseTo(fromSpec.requestsPerHour, 9);
    expect(fromEstimate?.peakRequestsPerSecond).toBeCloseTo(fromSpec.peakRequestsPerSecond, 9);
    expect(fromEstimate?.targetUtilization).toBe(fromSpec.targetUtilization);
    expect(fromEstimate?.maxInstances).toBe(4);
    expect(fromEstimate?.latencyTargetMs).toBe(250);
  });

  test('instance types default to deployment', () => {
    expect(loadTestInstanceTypes(makeSpec(), 'ml.c5.xlarge')).toEqual(['ml.c5.xlarge']);
    const listed = makeSpec((raw) => {
      raw.loadTest = { payloadFile: 'requests.jsonl', instanceTypes: ['ml.m5.large', 'ml.c5.large'] };
    });
    expect(loadTestInstanceTypes(listed, 'ml.c5.xlarge')).toEqual(['ml.m5.large', 'ml.c5.large']);
  });
});

describe('sizeHosting', () => {
  test('one instance unit costs', () => {
    const sizing = sizeHosting(measurement(), quickstartPlan());

    // ceil(0.2315 ÷ (50 × 0.7)) = ceil(0.0066) = 1.
    expect(sizing.neededInstances).toBe(1);
    expect(sizing.instanceCount).toBe(1);
    // 0.2315 ÷ 50 = 0.463 %.
    expect(sizing.peakUtilization).toBeCloseTo(0.00463, 5);
    // $0.115 ÷ (50 × 3,600 = 180,000 requests/h) × 1,000 = $0.000639.
    expect(sizing.costPer1000AtFullUseUsd).toBeCloseTo(0.000638889, 9);
    // $0.115 × 1 ÷ 416.67 requests/h × 1,000 = $0.276.
    expect(sizing.costPer1000AtPlannedLoadUsd).toBeCloseTo(0.276, 9);
    // $0.115 × 730 h = $83.95.
    expect(sizing.monthlyUsd).toBe(83.95);
    expect(sizing.latencyTargetMet).toBeUndefined();
    expect(sizing.warnings).toEqual([]);
    expect(sizing.formula).toContain('ceil(0.231 requests/s at peak ÷ (50 requests/s × 0.7)) = 1 instance, at most 1');
  });

  test('peak needs several instances', () => {
    // 10 requests/s at peak ÷ (4 × 0.5) = 5 instances; 5 × $0.2 ÷ 18,000 requests/h × 1,000 = $0.0556.
    const plan = quickstartPlan({ peakRequestsPerSecond: 10, requestsPerHour: 18_000, targetUtilization: 0.5, maxInstances: 8 });

    const sizing = sizeHosting(measurement({ throughputRps: 4, pricePerHourUsd: 0.2 }), plan);

    expect(sizing.neededInstances).toBe(5);
    expect(sizing.instanceCount).toBe(5);
    expect(sizing.peakUtilization).toBeCloseTo(0.5, 9);
    expect(sizing.costPer1000AtPlannedLoadUsd).toBeCloseTo(0.055556, 6);
    // $0.2 ÷ (4 × 3,600) × 1,000 = $0.013889.
    expect(sizing.costPer1000AtFullUseUsd).toBeCloseTo(0.013889, 6);
    // 5 × $0.2 × 730 h = $730.
    expect(sizing.monthlyUsd).toBe(730);
  });

  test('float noise adds no instance', () => {
    // 3 × 0.7 is 2.0999999999999996 in binary, so 2.1 ÷ (3 × 0.7) computes as 1.0000000000000002.
    const sizing = sizeHosting(measurement({ throughputRps: 3 }), quickstartPlan({ peakRequestsPerSecond: 2.1, maxInstances: 4 }));

    expect(sizing.neededInstances).toBe(1);
  });

  test('too few maxInstances warns', () => {
    // ceil(100 ÷ (30 × 0.7) = 4.76) = 5 needed, 3 allowed: 100 ÷ 90 = 111 % at peak.
    const plan = quickstartPlan({ peakRequestsPerSecond: 100, requestsPerHour: 200_000, maxInstances: 3, latencyTargetMs: 50 });

    const sizing = sizeHosting(measurement({ throughputRps: 30, latencyMs: 20 }), plan);

    expect(sizing.neededInstances).toBe(5);
    expect(sizing.instanceCount).toBe(3);
    expect(sizing.peakUtilization).toBeCloseTo(1.1111, 4);
    // 20 ms is within 50 ms, but overloaded instances queue requests.
    expect(sizing.latencyTargetMet).toBe(false);
    expect(sizing.warnings).toEqual([
      'ml.m5.large needs 5 instances for the peak of 100 requests/s at 70 % utilisation, but requirements.systemScale.maxInstances allows 3: ' +
        '3 instances would run at 111 % at peak, so requests queue and fail at peak. Raise maxInstances or choose a faster instance type.',
    ]);
  });

  test('slow responses miss latency target', () => {
    const plan = quickstartPlan({ latencyTargetMs: 100 });

    expect(sizeHosting(measurement({ latencyMs: 100 }), plan).latencyTargetMet).toBe(true);
    const slow = sizeHosting(measurement({ latencyMs: 130.25 }), plan);
    expect(slow.latencyTargetMet).toBe(false);
    expect(slow.warnings).toEqual(['ml.m5.large responded in 130.3 ms at the 95th percentile, above requirements.latencyTargetMs of 100 ms.']);
  });

  test('failed load-test requests warn', () => {
    const sizing = sizeHosting(measurement({ requests: 200, errors: 3 }), quickstartPlan());

    expect(sizing.warnings).toEqual(['3 requests of 200 failed in the load test of ml.m5.large; its throughput counts only the requests that succeeded.']);
  });

  test('zero throughput rejected', () => {
    expect(() => sizeHosting(measurement({ throughputRps: 0 }), quickstartPlan())).toThrow('invalid throughput 0 requests/s for ml.m5.large');
  });
});

describe('measurements', () => {
  test('load test gives p95 latency', () => {
    const result: LoadTestResult = {
      instanceType: 'ml.c5.large',
      pricePerHourUsd: 0.102,
      requests: 200,
      errors: 1,
      concurrency: 4,
      durationSeconds: 2.5,
      throughputRps: 79.6,
      latencyMs: { p50: 10, p95: 31, max: 80 },
      at: '2026-11-03T00:00:00.000Z',
    };

    expect(measurementFromLoadTest(result)).toEqual({
      instanceType: 'ml.c5.large',
      pricePerHourUsd: 0.102,
      throughputRps: 79.6,
      latencyMs: 31,
      source: 'load test',
      requests: 200,
      errors: 1,
    });
  });

  test('spec figures need a throughput', () => {
    expect(measurementFromSpec(makeSpec(), 'ml.m5.large')).toBeUndefined();
    const spec = makeSpec((raw) => {
      raw.estimate = { throughputPerInstanceRps: 25, latencyMs: 40 };
      raw.prices = { hosting: { 'ml.m5.large': 0.2 } };
    });
    expect(measurementFromSpec(spec, 'ml.m5.large')).toEqual({
      instanceType: 'ml.m5.large',
      pricePerHourUsd: 0.2,
      throughputRps: 25,
      latencyMs: 40,
      source: 'spec',
    });
  });
});

describe('compareHosting', () => {
  test('cheapest qualifying type per prediction', () => {
    const plan = quickstartPlan({ peakRequestsPerSecond: 60, requestsPerHour: 100_000, maxInstances: 4, latencyTargetMs: 100 });
    const comparison = compareHosting(
      [
        // ceil(60 ÷ 35) = 2 instances × $0.115 = $0.23/h ÷ 100,000 × 1,000 = $0.0023.
        measurement({ instanceType: 'ml.m5.large', throughputRps: 50, latencyMs: 40 }),
        // 1 instance × $0.17 = $0.0017 per 1,000, but 150 ms misses the target.
        measurement({ instanceType: 'ml.c5.xlarge', pricePerHourUsd: 0.17, throughputRps: 120, latencyMs: 150 }),
        // ceil(60 ÷ 7) = 9 instances, more than the 4 allowed, although cheap per hour.
        measurement({ instanceType: 'ml.t2.medium', pricePerHourUsd: 0.056, throughputRps: 10, latencyMs: 60 }),
      ],
      plan,
    );

    expect(comparison.sizings.map((s) => s.costPer1000AtPlannedLoadUsd)).toEqual([
      expect.closeTo(0.0023, 9),
      expect.closeTo(0.0017, 9),
      expect.closeTo(0.00224, 9),
    ]);
    expect(comparison.cheapest).toBe('ml.m5.large');
  });

  test('no qualifying type, no cheapest', () => {
    const comparison = compareHosting([measurement({ latencyMs: 500 })], quickstartPlan({ latencyTargetMs: 100 }));

    expect(comparison.cheapest).toBeUndefined();
  });
});
