import { estimateCost } from '../../domain/estimate';
import { buildReviewSummary, isCostEstimate, planDeployment } from '../../domain/review';
import type { TrainingJobSummary } from '../../domain/status';
import { exampleSpec, makeSpec } from './fixtures';

function job(overrides: Partial<TrainingJobSummary>): TrainingJobSummary {
  return {
    name: 'image-classification-bench-0',
    purpose: 'benchmark',
    instanceType: 'ml.p3.2xlarge',
    instanceCount: 1,
    spot: false,
    status: 'Completed',
    pricePerHourUsd: 3.825,
    costUsd: 12.5,
    capUsd: 100,
    durationSeconds: 3725,
    stopped: false,
    metrics: { 'validation:accuracy': 0.93 },
    resourceUsage: { cpuPercentMax: 420, cpuPercentAvg: 310, memoryMiBMax: 20480 },
    ...overrides,
  };
}

function cell(table: { columns: string[]; rows: string[][] }, row: number, column: string): string {
  const index = table.columns.indexOf(column);
  if (index < 0) throw new Error(`no column ${column} in ${table.columns.join(', ')}`);
  return table.rows[row][index];
}

describe('requirements review', () => {
  const summary = buildReviewSummary('requirements', 2, exampleSpec(), {});

  test('title names gate, project, round', () => {
    expect(summary.gate).toBe('requirements');
    expect(summary.round).toBe(2);
    expect(summary.title).toBe('Requirements review of Image classification of product photos (image-classification), round 2');
  });

  test('three scales and budgets shown', () => {
    expect(summary.tables.map((t) => t.caption)).toEqual(['User scale', 'System scale', 'Data scale', 'Budgets']);
    const [users, system, data, budgets] = summary.tables;
    expect(users.rows).toContainEqual(['users', '12,000']);
    expect(users.rows).toContainEqual(['requests per hour (derived)', '10,000']);
    expect(users.rows).toContainEqual(['peak requests per second (derived)', '8.33']);
    expect(system.rows).toContainEqual(['GPUs', '1']);
    expect(system.rows).toContainEqual(['memory', '61 GiB']);
    expect(data.rows).toContainEqual(['growth', '10 GB per month']);
    expect(data.rows).toContainEqual(['update frequency', 'weekly']);
    expect(budgets.rows).toEqual([
      ['total', '$2,000.00'],
      ['monthly', '$800.00'],
      ['per training job (cost cap)', '$100.00'],
    ]);
    expect(summary.paragraphs[1]).toBe('Quality objective: maximize validation:accuracy to at least 0.9.');
  });

  test('small data sizes keep their digits', () => {
    const small = makeSpec((raw) => {
      raw.requirements.dataScale.sizeGb = 0.001;
      raw.requirements.dataScale.growthGbPerMonth = 0.0001;
    });
    const data = buildReviewSummary('requirements', 1, small, {}).tables[2];
    expect(data.rows).toContainEqual(['size', '0.001 GB']);
    expect(data.rows).toContainEqual(['growth', '0.0001 GB per month']);
  });

  test('missing monthly budget noted', () => {
    const minimal = buildReviewSummary('requirements', 1, makeSpec(), {});
    expect(minimal.notes).toEqual(['No monthly budget is set; only the total budget is checked.']);
    expect(minimal.tables[1].rows).toContainEqual(['CPUs', '-']);
  });
});

describe('cost review', () => {
  test('estimate lines from spec', () => {
    const summary = buildReviewSummary('cost', 1, exampleSpec());
    expect(summary.paragraphs[1]).toContain('Training: $64.00 for one run.');
    expect(summary.paragraphs[1]).toContain('First 24 hours: $80.80.');
    expect(summary.tables[0].caption).toBe('Cost by item');
    expect(summary.notes.length).toBeGreaterThan(3);
  });

  test('context estimate used as given', () => {
    const estimate = estimateCost(exampleSpec());
    estimate.totals.first24HoursUsd = 99.99;
    const summary = buildReviewSummary('cost', 1, exampleSpec(), { estimate });
    expect(summary.paragraphs[1]).toContain('First 24 hours: $99.99.');
  });

  test('non-estimate context recomputed', () => {
    expect(isCostEstimate({ totals: {} })).toBe(false);
    const summary = buildReviewSummary('cost', 1, exampleSpec(), { estimate: { totals: {} } });
    expect(summary.paragraphs[1]).toContain('First 24 hours: $80.80.');
  });
});

describe('deployment review', () => {
  const jobs = [
    job({}),
    job({ name: 'image-classification-bench-1', instanceType: 'ml.g5.xlarge', costUsd: 4.2, durationSeconds: 2400, metrics: { 'validation:accuracy': 0.91 } }),
    job({
      name: 'image-classification-bench-2',
      instanceType: 'ml.g4dn.xlarge',
      spot: true,
      status: 'Stopped',
      stopped: true,
      costUsd: 99.8,
      metrics: {},
      resourceUsage: undefined,
    }),
    job({ name: 'image-classification-retrain-1', purpose: 'retraining', instanceType: 'ml.m5.large' }),
  ];
  const summary = buildReviewSummary('deployment', 1, exampleSpec(), { trainingJobs: jobs });

  test('benchmark table per job', () => {
    const table = summary.tables[0];
    expect(table.caption).toBe('Benchmark');
    expect(table.rows).toHaveLength(3);
    expect(cell(table, 0, 'duration')).toBe('1 h 02 min');
    expect(cell(table, 0, 'cost')).toBe('$12.50');
    expect(cell(table, 0, 'validation:accuracy')).toBe('0.93');
    expect(cell(table, 0, 'CPU avg / max')).toBe('310 % / 420 % of one core');
    expect(cell(table, 0, 'memory max')).toBe('20 GiB');
    expect(cell(table, 2, 'configuration')).toBe('1 × ml.g4dn.xlarge spot');
    expect(cell(table, 2, 'stopped by cap')).toBe('yes');
    expect(cell(table, 2, 'validation:accuracy')).toBe('-');
  });

  test('recommendation computed when absent', () => {
    expect(summary.paragraphs[1]).toBe(
      'Recommendation: 1 × ml.g5.xlarge on-demand is the cheapest of 2 configurations that completed and met validation:accuracy >= 0.9: $4.20 in 40 min 00 s, validation:accuracy 0.91.',
    );
  });

  test('plan priced hourly and monthly', () => {
    // The example fixes deployment.instanceType ml.m5.large: $0.115 × 730 h = $83.95.
    const plan = summary.tables[1];
    expect(plan.caption).toBe('Deployment plan');
    expect(plan.rows[0]).toEqual(['1 × ml.m5.large', '$0.115 (table 2024-06-01 us-east-1)', '$0.115', '$83.95']);
    expect(summary.notes).toContain('The endpoint bills every hour it is in service, with or without requests, until it is shut down.');
  });

  test('context plan and recommendation win', () => {
    const given = buildReviewSummary('deployment', 3, exampleSpec(), {
      trainingJobs: jobs,
      recommendation: { instanceType: 'ml.p3.2xlarge', instanceCount: 1, spot: false, reason: 'chosen by hand.' },
      deployment: { instanceType: 'ml.g5.xlarge', instanceCount: 2 },
    });
    expect(given.paragraphs[1]).toBe('Recommendation: chosen by hand.');
    expect(given.tables[1].rows[0]).toEqual(['2 × ml.g5.xlarge', '$1.408 (table 2024-06-01 us-east-1)', '$2.816', '$2,055.68']);
    expect(given.notes).toContain('The endpoint alone, $2,055.68 per month, is above budgets.monthlyUsd of $800.00.');
  });

  test('unknown hosting price shows fix', () => {
    const given = buildReviewSummary('deployment', 1, exampleSpec(), { trainingJobs: jobs, deployment: { instanceType: 'ml.r5.large', instanceCount: 1 } });
    expect(given.tables[1].rows[0]).toEqual(['1 × ml.r5.large', 'unknown', '-', '-']);
    expect(given.notes.join('\n')).toContain('under prices.hosting in the project spec');
  });

  test('no qualifying run, no plan', () => {
    const spec = makeSpec();
    const none = buildReviewSummary('deployment', 1, spec, { trainingJobs: [job({ status: 'Failed', instanceType: 'ml.m5.large' })] });
    expect(none.paragraphs[1]).toMatch(/^No recommendation\. No configuration can be recommended/);
    expect(none.paragraphs[2]).toBe('There is no deployment plan: no configuration qualified and the spec fixes no instance type.');
    expect(none.tables).toHaveLength(1);
  });

  test('plan follows spec then recommendation', () => {
    const recommendation = { instanceType: 'ml.c5.xlarge', instanceCount: 2, spot: true, reason: 'r' };
    expect(planDeployment(makeSpec(), recommendation)).toEqual({ instanceType: 'ml.c5.xlarge', instanceCount: 2 });
    expect(planDeployment(makeSpec(), undefined)).toBeUndefined();
    expect(planDeployment(exampleSpec(), recommendation)).toEqual({ instanceType: 'ml.m5.large', instanceCount: 1 });
  });
});
