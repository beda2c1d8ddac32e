/**
 * The deeper estimate, hand-checked on one spec (us-east-1 table prices,
 * ml.m5.large at $0.115 per instance-hour for training and hosting):
 * 36,000 users × 24 requests/day = 864,000 requests/day = 36,000 requests/h
 * = 10 requests/s on average, 20 at peak (peak factor 2), 26,280,000 per
 * 730-hour month; 5 requests/s per instance at 80 % utilisation.
 */
import { estimateCost } from '../../domain/estimate';
import { PRICE_TABLE, type PriceTable } from '../../domain/prices';
import { makeSpec } from './fixtures';

function depthSpec(change: (raw: Record<string, any>) => void = () => {}) {
  return makeSpec((raw) => {
    raw.requirements.userScale = { users: 36000, requestsPerUserPerDay: 24, peakFactor: 2 };
    raw.requirements.systemScale = { maxInstances: 10 };
    raw.requirements.dataScale = { sizeGb: 73, updateFrequency: 'weekly' };
    raw.training.expectedHours = 10;
    raw.estimate = { throughputPerInstanceRps: 5, latencyMs: 100, targetUtilization: 0.8 };
    change(raw);
  });
}

describe('sizing from the three scales', () => {
  test('peak load sizes five instances', () => {
    const { sizing } = estimateCost(depthSpec());
    expect(sizing.requestsPerDay).toBe(864000);
    expect(sizing.peakRequestsPerSecond).toBeCloseTo(20, 9);
    // ceil(20 / (5 × 0.8)) = 5
    expect(sizing).toMatchObject({ neededInstances: 5, instanceCount: 5, minInstances: 1, maxInstances: 10, overMax: false });
    expect(sizing.formula).toContain('ceil(20 ÷ (5 requests/s × 0.8)) = 5 instances, bounded by 1 to 10');
  });

  test('max instances caps and warns', () => {
    const estimate = estimateCost(depthSpec((raw) => (raw.requirements.systemScale = { maxInstances: 4 })));
    expect(estimate.sizing).toMatchObject({ neededInstances: 5, instanceCount: 4, overMax: true });
    expect(estimate.notes.join('\n')).toContain('the peak needs 5 instances at 80 % utilisation, above requirements.systemScale.maxInstances (4)');
  });

  test('min instances floor the count', () => {
    const { sizing } = estimateCost(depthSpec((raw) => (raw.deployment = { instanceCount: 7 })));
    expect(sizing.instanceCount).toBe(7);
  });

  test('no throughput keeps deployment count', () => {
    const { sizing, notes } = estimateCost(depthSpec((raw) => (raw.estimate = {})));
    expect(sizing.neededInstances).toBeUndefined();
    expect(sizing.instanceCount).toBe(1);
    expect(notes.join('\n')).toContain('because estimate.throughputPerInstanceRps is not set');
  });
});

describe('per month and per year', () => {
  const estimate = estimateCost(depthSpec());

  test('monthly items hand-checked', () => {
    // inference 0.115 × 730 = 83.95; storage 73 × 0.023 = 1.679; network 36,000 KB/h ÷ 1,048,576 × 0.09 = $0.00309/h, × 730 = 2.26;
    // training 730/168 = 4.345 runs × 10 h × 0.115 = 4.997.
    expect(estimate.monthly).toMatchObject({ trainingUsd: 5, inferenceUsd: 83.95, storageUsd: 1.68, networkUsd: 2.26 });
    expect(estimate.monthly.retrainingsPerMonth).toBeCloseTo(4.345238, 6);
  });

  test('month and year totals', () => {
    // running (0.115 + 0.00309) × 730 = 86.21, + storage 1.68 = 87.89; + retraining 5.00 = 92.89;
    // year: first run 1.15 + 12 × 92.89 = 1,115.83.
    expect(estimate.totals.monthlyRunningUsd).toBe(87.89);
    expect(estimate.totals.perMonthUsd).toBe(92.89);
    expect(estimate.totals.perYearUsd).toBe(1115.83);
    expect(estimate.monthly.totalUsd).toBe(92.89);
  });

  test('lines show formula inputs', () => {
    expect(estimate.training.formula).toBe('1 × ml.m5.large × 10 h × $0.115/instance-hour');
    expect(estimate.inference.formula).toBe('1 × ml.m5.large × $0.115/instance-hour');
    expect(estimate.storage.formula).toContain('(73 GB × months + 0 GB/month × months² ÷ 2) × $0.023/GB-month');
    expect(estimate.network.formula).toBe('36,000 requests/h × 1 KB ÷ 1,048,576 KB/GB × $0.09/GB');
  });
});

describe('spot and savings plans', () => {
  const estimate = estimateCost(depthSpec());

  test('spot adds interruption overhead', () => {
    // on-demand 10 h × 0.115 = 1.15; spot 10 × 1.2 = 12 h × 0.0345 = 0.414.
    expect(estimate.spot).toMatchObject({ onDemandUsd: 1.15, interruptionOverhead: 0.2, spotHours: 12, spotPricePerHourUsd: 0.0345, spotUsd: 0.41, savingUsd: 0.74 });
  });

  test('overhead setting changes spot', () => {
    const slow = estimateCost(depthSpec((raw) => (raw.estimate.spotInterruptionOverhead = 1)));
    // 20 h × 0.0345 = 0.69
    expect(slow.spot.spotUsd).toBe(0.69);
  });

  test('savings plans with break-even', () => {
    // steady hosting 5 × 0.115 × 730 = 419.75; 1-year × 0.75 = 314.81 (× 12 = 3,777.72); 3-year × 0.55 = 230.86 (× 36 = 8,310.96).
    expect(estimate.savingsPlans).toEqual([
      { term: 'on-demand', termMonths: 0, discount: 0, monthlyUsd: 419.75, commitmentUsd: 0, breakEvenMonths: 0 },
      { term: '1-year', termMonths: 12, discount: 0.25, monthlyUsd: 314.81, commitmentUsd: 3777.72, breakEvenMonths: 9 },
      { term: '3-year', termMonths: 36, discount: 0.45, monthlyUsd: 230.86, commitmentUsd: 8310.96, breakEvenMonths: expect.closeTo(19.8, 9) },
    ]);
  });

  test('table discount rates are used', () => {
    const table: PriceTable = { ...PRICE_TABLE, estimates: { ...PRICE_TABLE.estimates, savingsPlanOneYearDiscount: 0.5 } };
    expect(estimateCost(depthSpec(), { priceTable: table }).savingsPlans[1].monthlyUsd).toBe(209.88);
  });
});

describe('inference options', () => {
  const byName = (estimate: ReturnType<typeof estimateCost>) => Object.fromEntries(estimate.inferenceOptions.options.map((o) => [o.option, o]));

  test('four options hand-checked', () => {
    const options = byName(estimateCost(depthSpec()));
    // real-time 5 × 0.115 × 730; serverless 26,280,000 × (0.1 s × 2 GB × 0.00002 + 0.0000002) = 105.12 + 5.256;
    // batch 26,280,000 ÷ 18,000 = 1,460 h × 0.115; asynchronous 1,460 ÷ 0.8 = 1,825 h × 0.115.
    expect(options['real-time']).toMatchObject({ monthlyUsd: 419.75, latencyMs: 100 });
    expect(options.serverless).toMatchObject({ monthlyUsd: 110.38, latencyMs: 1100 });
    expect(options['batch-transform']).toMatchObject({ monthlyUsd: 167.9, latencyMs: 3600000 });
    expect(options.asynchronous).toMatchObject({ monthlyUsd: 209.88, latencyMs: 300100 });
    expect(options.serverless.formula).toContain('26,280,000 requests/month × (0.1 s × 2 GB × $0.00002/GB-second) + 26,280,000 requests/month × $0.20/million requests');
    expect(options['batch-transform'].formula).toContain('26,280,000 requests/month ÷ (5 requests/s × 3,600 s) instance-hours × $0.115/instance-hour');
  });

  test('no target recommends online option', () => {
    const { inferenceOptions } = estimateCost(depthSpec());
    expect(inferenceOptions.recommended).toBe('serverless');
    expect(inferenceOptions.reason).toContain('only online options qualify');
  });

  test('tight target excludes serverless', () => {
    const { inferenceOptions } = estimateCost(depthSpec((raw) => (raw.requirements.latencyTargetMs = 500)));
    expect(inferenceOptions.recommended).toBe('real-time');
    expect(inferenceOptions.options.find((o) => o.option === 'serverless')?.meetsLatencyTarget).toBe(false);
  });

  test('hour target picks batch', () => {
    // With 1 s per request serverless costs 26,280,000 × (2 × 0.00002 + 0.0000002) = 1,056.46, above batch at 167.90.
    const { inferenceOptions } = estimateCost(
      depthSpec((raw) => {
        raw.requirements.latencyTargetMs = 3600000;
        raw.estimate.latencyMs = 1000;
      }),
    );
    expect(inferenceOptions.options.find((o) => o.option === 'serverless')?.monthlyUsd).toBe(1056.46);
    expect(inferenceOptions.recommended).toBe('batch-transform');
  });

  test('minutes target picks asynchronous', () => {
    const { inferenceOptions } = estimateCost(
      depthSpec((raw) => {
        raw.requirements.latencyTargetMs = 400000;
        raw.estimate.latencyMs = 1000;
      }),
    );
    expect(inferenceOptions.recommended).toBe('asynchronous');
  });

  test('missing figures leave options unpriced', () => {
    const { inferenceOptions } = estimateCost(depthSpec((raw) => (raw.estimate = {})));
    const options = Object.fromEntries(inferenceOptions.options.map((o) => [o.option, o]));
    expect(options.serverless.monthlyUsd).toBeUndefined();
    expect(options.serverless.reason).toBe('needs estimate.latencyMs');
    expect(options['batch-transform'].reason).toBe('needs estimate.throughputPerInstanceRps');
    expect(inferenceOptions.recommended).toBe('real-time');
  });
});

describe('sensitivity', () => {
  test('doubled users and data', () => {
    const { sensitivity } = estimateCost(depthSpec());
    // users × 2: network $0.00618/h, running 0.12118 × 730 = 88.46, + 1.68 + 5.00 = 95.14.
    // data × 2: storage 146 × 0.023 = 3.36, running 86.21, training 20 h × 0.115 × 4.345 = 9.99: 99.56.
    expect(sensitivity).toEqual({ baseMonthlyUsd: 92.89, usersDoubledMonthlyUsd: 95.14, dataDoubledMonthlyUsd: 99.56 });
  });
});
