import { maxRuntimeForCap, SAGEMAKER_MAX_RUNTIME_SECONDS, shouldStopForCap } from '../../domain/cost-cap';

/** $3.60 per instance-hour is $0.001 per instance-second, which keeps the figures readable. */
const base = { pricePerHourUsd: 3.6, instanceCount: 1, billableSeconds: 900, capUsd: 1, pollIntervalSeconds: 60, stopGraceSeconds: 30 };

describe('shouldStopForCap', () => {
  test('keeps running while projection fits', () => {
    const check = shouldStopForCap(base);
    expect(check.stop).toBe(false);
    expect(check.spentUsd).toBeCloseTo(0.9, 12);
    expect(check.projectedUsd).toBeCloseTo(0.99, 12);
    expect(check.reason).toBe('within the cost cap of $1.00: $0.90 spent, $0.99 projected after the next check in 60 s plus 30 s to stop');
  });

  test('stops when next poll overshoots', () => {
    const check = shouldStopForCap({ ...base, stopGraceSeconds: 41 });
    expect(check.stop).toBe(true);
    expect(check.reason).toMatch(/^stopping to stay within the cost cap of \$1\.00: \$0\.90 spent/);
  });

  test('projection equal to cap continues', () => {
    expect(shouldStopForCap({ ...base, stopGraceSeconds: 40 }).stop).toBe(false);
  });

  test('extra instances multiply projection', () => {
    // 1,800 instance-seconds already billed on 2 instances, then 2 × 50 s more.
    const twoInstances = { ...base, instanceCount: 2, billableSeconds: 1800, pollIntervalSeconds: 30, stopGraceSeconds: 20 };
    expect(shouldStopForCap({ ...twoInstances, capUsd: 1.95 }).projectedUsd).toBeCloseTo(1.9, 12);
    expect(shouldStopForCap({ ...twoInstances, capUsd: 1.95 }).stop).toBe(false);
    expect(shouldStopForCap({ ...twoInstances, capUsd: 1.85 }).stop).toBe(true);
  });

  test('already over cap stops', () => {
    expect(shouldStopForCap({ ...base, billableSeconds: 5000 }).stop).toBe(true);
  });

  test('zero cap stops at once', () => {
    expect(shouldStopForCap({ ...base, billableSeconds: 0, capUsd: 0 }).stop).toBe(true);
  });

  test('free instance never stops', () => {
    expect(shouldStopForCap({ ...base, pricePerHourUsd: 0 }).stop).toBe(false);
  });
});

describe('maxRuntimeForCap', () => {
  test('hand-checked runtimes', () => {
    expect(maxRuntimeForCap(1, 3.6, 1)).toBe(1000);
    // 10 × 3600 / (3.825 × 2) = 4705.88…
    expect(maxRuntimeForCap(10, 3.825, 2)).toBe(4705);
    // 64 × 3600 / 16 = 14400 exactly, despite float division.
    expect(maxRuntimeForCap(64, 16, 1)).toBe(14400);
    expect(maxRuntimeForCap(0.7, 0.07, 1)).toBe(36000);
  });

  test('clamped to SageMaker bounds', () => {
    expect(SAGEMAKER_MAX_RUNTIME_SECONDS).toBe(2419200);
    expect(maxRuntimeForCap(1e9, 0.115, 1)).toBe(SAGEMAKER_MAX_RUNTIME_SECONDS);
    expect(maxRuntimeForCap(5, 0, 1)).toBe(SAGEMAKER_MAX_RUNTIME_SECONDS);
    expect(maxRuntimeForCap(0, 3.6, 1)).toBe(1);
    expect(maxRuntimeForCap(0.0001, 36, 1)).toBe(1);
  });

  test('invalid input rejected', () => {
    expect(() => maxRuntimeForCap(-1, 1, 1)).toThrow(RangeError);
    expect(() => maxRuntimeForCap(1, -1, 1)).toThrow(/price -1/);
    expect(() => maxRuntimeForCap(1, 1, 0)).toThrow(/instance count 0/);
  });
});
