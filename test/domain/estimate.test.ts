import { estimateCost, estimateToSummary, formatEstimate, hostingInstanceType, requestsPerHour } from '../../domain/estimate';
import { PRICE_TABLE, PriceNotFoundError } from '../../domain/prices';
import { exampleSpec, makeSpec } from './fixtures';

describe('worked example', () => {
  const estimate = estimateCost(exampleSpec());

  test('example training costs $64.00', () => {
    expect(estimate.training.usd).toBe(64);
    expect(estimate.training.instanceType).toBe('ml.p3.2xlarge');
    expect(estimate.training.priceSource).toBe('override');
  });

  test('example inference $0.70 per hour', () => {
    expect(estimate.inference.requestsPerHour).toBe(10000);
    expect(estimate.inference.basis).toBe('per-request');
    expect(estimate.inference.perHourUsd).toBe(0.7);
  });

  test('example first day $80.80', () => {
    expect(estimate.totals.first24HoursUsd).toBe(80.8);
    expect(String(estimate.totals.first24HoursUsd)).toBe('80.8');
  });

  test('example text prints three figures', () => {
    const text = formatEstimate(estimate);
    expect(text).toContain('Training: $64.00 for one run.');
    expect(text).toContain('Inference: $0.70 per hour, priced per request.');
    expect(text).toContain('First 24 hours: $80.80.');
    expect(text).not.toMatch(/\.\d*(0{5}|9{5})\d/);
  });

  test('example says which basis used', () => {
    expect(estimate.notes.join('\n')).toContain('Inference is priced per request from prices.perRequestUsd');
    expect(estimate.notes.join('\n')).toContain('1 × ml.m5.large would bill $0.115 per hour');
  });
});

describe('estimateCost', () => {
  /**
   * Hand-checked case, us-east-1 table prices:
   * training 2 × ml.m5.xlarge × 3 h × $0.23 = $1.38;
   * inference 2 × ml.m5.large × $0.115 = $0.23/h, $5.52 per day, $167.90 per 730 h;
   * storage 73 GB × $0.023: 2.4 GB-months... $0.0552 per day, $1.679 per 730 h;
   * network 1,000 req/h × 1,048.576 KB = 1 GB/h × $0.09 = $0.09/h, $2.16 per day, $65.70 per 730 h.
   */
  const spec = makeSpec((raw) => {
    raw.requirements.userScale.peakFactor = 3;
    raw.training.candidates = [
      { instanceType: 'ml.m5.large' },
      { instanceType: 'ml.m5.xlarge', instanceCount: 2 },
    ];
    raw.training.expectedHours = 3;
    raw.estimate = { trainingInstanceType: 'ml.m5.xlarge', horizonHours: 730 };
    raw.deployment = { instanceType: 'ml.m5.large', instanceCount: 2 };
    raw.inference.payloadKb = 1048.576;
    raw.budgets = { totalUsd: 200, monthlyUsd: 300, perTrainingJobUsd: 10 };
  });
  const estimate = estimateCost(spec);

  test('training uses matching candidate count', () => {
    expect(estimate.training).toMatchObject({ instanceType: 'ml.m5.xlarge', instanceCount: 2, hours: 3, pricePerHourUsd: 0.23, usd: 1.38 });
    expect(estimate.training.priceSource).toBe(`table ${PRICE_TABLE.date} us-east-1`);
    expect(estimate.training.spotUsd).toBe(0.41);
  });

  test('instance-hour inference uses count', () => {
    expect(estimate.inference).toMatchObject({
      basis: 'per-instance-hour',
      instanceType: 'ml.m5.large',
      instanceCount: 2,
      requestsPerHour: 1000,
      pricePerInstanceHourUsd: 0.115,
      perHourUsd: 0.23,
      first24HoursUsd: 5.52,
      horizonUsd: 167.9,
    });
    expect(estimate.inference.pricePerRequestUsd).toBeUndefined();
    expect(estimate.inference.peakRequestsPerSecond).toBeCloseTo(0.8333, 4);
    expect(estimate.notes.join('\n')).toContain('priced per instance-hour');
  });

  test('storage and network hand-checked', () => {
    expect(estimate.storage).toMatchObject({ startGb: 73, endGb: 73, pricePerGbMonthUsd: 0.023, first24HoursUsd: 0.06, horizonUsd: 1.68 });
    expect(estimate.network).toMatchObject({ gbPerHour: 1, pricePerGbUsd: 0.09, perHourUsd: 0.09, first24HoursUsd: 2.16, horizonUsd: 65.7 });
  });

  test('totals sum rounded lines', () => {
    expect(estimate.totals.first24HoursUsd).toBe(9.12);
    expect(estimate.totals.horizonUsd).toBe(236.66);
    expect(estimate.totals.runningPerHourUsd).toBe(0.32);
    expect(estimate.totals.monthlyRunningUsd).toBe(235.28);
  });

  test('budget overrun flagged in notes', () => {
    expect(estimate.budgetChecks).toEqual([
      { budget: 'budgets.perTrainingJobUsd', budgetUsd: 10, estimateUsd: 1.38, label: 'one training run', within: true },
      { budget: 'budgets.totalUsd', budgetUsd: 200, estimateUsd: 236.66, label: 'total over 730 h', within: false },
      { budget: 'budgets.monthlyUsd', budgetUsd: 300, estimateUsd: 235.28, label: 'running cost per month', within: true },
    ]);
    expect(estimate.notes[0]).toBe('Over budget: total over 730 h is estimated at $236.66, above budgets.totalUsd of $200.00.');
  });

  test('prices record table and overrides', () => {
    expect(estimate.prices).toMatchObject({ tableDate: PRICE_TABLE.date, region: 'us-east-1', overrides: [] });
    const overridden = estimateCost(exampleSpec());
    expect(overridden.prices.overrides).toEqual([
      'prices.training.ml.p3.2xlarge',
      'prices.perRequestUsd',
      'prices.storageGbMonthUsd',
      'prices.transferGbUsd',
    ]);
  });

  test('notes name what is ignored', () => {
    const notes = estimate.notes.join('\n');
    expect(notes).toContain('Managed spot training usually costs about 70 % less ($0.41 for this run)');
    expect(notes).toContain('Savings plans and reserved capacity are not applied');
    expect(notes).toContain('The benchmark runs 2 candidate configurations, each capped at budgets.perTrainingJobUsd ($10.00), so it can cost up to $20.00');
    expect(notes).toContain('on-demand list prices as of');
    expect(notes).not.toContain('retraining runs are not counted');
  });

  test('storage growth integrates linearly', () => {
    const grown = estimateCost(
      makeSpec((raw) => {
        raw.requirements.dataScale = { sizeGb: 0, growthGbPerMonth: 10, updateFrequency: 'monthly' };
        raw.prices = { storageGbMonthUsd: 0.5 };
        raw.estimate = { horizonHours: 1460 };
      }),
    );
    expect(grown.storage.endGb).toBe(20);
    expect(grown.storage.horizonUsd).toBe(10);
    expect(grown.notes.join('\n')).toContain('Data updates monthly; retraining runs are not counted');
  });

  test('training type outside candidates counts one', () => {
    const other = estimateCost(makeSpec((raw) => (raw.estimate = { trainingInstanceType: 'ml.g5.xlarge' })));
    expect(other.training).toMatchObject({ instanceType: 'ml.g5.xlarge', instanceCount: 1, usd: 1.41 });
  });

  test('hosting type falls back in order', () => {
    expect(hostingInstanceType(makeSpec())).toBe('ml.m5.large');
    expect(hostingInstanceType(makeSpec((raw) => (raw.estimate = { hostingInstanceType: 'ml.c5.large' })))).toBe('ml.c5.large');
    expect(
      hostingInstanceType(
        makeSpec((raw) => {
          raw.estimate = { hostingInstanceType: 'ml.c5.large' };
          raw.deployment = { instanceType: 'ml.t3.medium' };
        }),
      ),
    ).toBe('ml.t3.medium');
  });

  test('requests per hour from users', () => {
    expect(requestsPerHour(exampleSpec())).toBe(10000);
  });

  test('unknown hosting price throws fix', () => {
    const spec2 = makeSpec((raw) => (raw.deployment = { instanceType: 'ml.r5.large' }));
    expect(() => estimateCost(spec2)).toThrow(PriceNotFoundError);
    expect(() => estimateCost(spec2)).toThrow(/prices\.hosting/);
  });

  test('per-request basis tolerates unknown hosting', () => {
    const perRequest = estimateCost(
      makeSpec((raw) => {
        raw.deployment = { instanceType: 'ml.r5.large' };
        raw.prices = { perRequestUsd: 0.0001 };
      }),
    );
    expect(perRequest.inference.basis).toBe('per-request');
    expect(perRequest.inference.perHourUsd).toBe(0.1);
    expect(perRequest.inference.pricePerInstanceHourUsd).toBeUndefined();
    expect(perRequest.notes.join('\n')).toContain('no hosting price is known for ml.r5.large');
  });

  test('estimate survives JSON round trip', () => {
    expect(JSON.parse(JSON.stringify(estimate))).toEqual(estimate);
  });
});

describe('estimateToSummary', () => {
  test('cost table has total row', () => {
    const summary = estimateToSummary(estimateCost(exampleSpec()));
    const costs = summary.tables[0];
    expect(costs.columns).toEqual(['item', 'basis', 'price', 'per hour', 'first 24 h', 'over 720 h']);
    expect(costs.rows.map((row) => row[0])).toEqual(['training', 'inference', 'storage', 'network', 'total']);
    expect(costs.rows[1][2]).toBe('$0.00007/request (override)');
    expect(costs.rows[4]).toEqual(['total', '', '', '$0.70', '$80.80', '$568.00']);
    expect(summary.tables[1].rows[1]).toEqual(['budgets.totalUsd', '$2,000.00', '$568.00', 'total over 720 h', 'within budget']);
  });
});
