import { estimateCost } from '../../domain/estimate';
import { PRICE_TABLE, PriceNotFoundError, type PriceTable } from '../../domain/prices';
import { buildReviewSummary, isCostEstimate, planDeployment } from '../../domain/review';
import type { ReviewChanges, TrainingJobSummary } from '../../domain/status';
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

describe('review key figures', () => {
  const figure = (figures: { label: string; value: string; warning?: boolean }[] | undefined, label: string) => {
    const found = figures?.find((f) => f.label === label);
    if (!found) throw new Error(`no key figure ${label} in ${JSON.stringify(figures)}`);
    return found;
  };

  test('cost figures for business readers', () => {
    // makeSpec: 1 × ml.m5.large at $0.115/h × 730 h = $83.95, plus 73 GB storage and transfer: $85.69 per month.
    const summary = buildReviewSummary('cost', 1, makeSpec());
    expect(summary.keyFigures).toEqual([
      { label: 'Budget', value: '$1,000.00 in total, no monthly budget, at most $10.00 per training job' },
      { label: 'Estimate per month', value: '$85.69' },
      { label: 'Estimate per year', value: '$1,028.40 (the first training run plus 12 months)' },
      { label: 'Spend so far', value: '$0.00 (0 % of the total budget, training jobs only)' },
      { label: 'Recommended inference option', value: 'real-time, 1 × ml.m5.large: $83.95 per month' },
    ]);
  });

  test('over-budget warnings come first', () => {
    const spec = makeSpec((raw) => {
      raw.budgets = { totalUsd: 50, monthlyUsd: 40, perTrainingJobUsd: 0.1 };
    });
    const figures = buildReviewSummary('requirements', 1, spec).keyFigures!;
    expect(figures.slice(0, 3)).toEqual([
      { label: 'Over budget', value: 'One training run is estimated at $0.12, above the cost cap per training job of $0.10.', warning: true },
      { label: 'Over budget', value: 'Total over 720 h is estimated at $84.64, above the total budget of $50.00.', warning: true },
      { label: 'Over budget', value: 'Running cost per month is estimated at $85.69, above the monthly budget of $40.00.', warning: true },
    ]);
    expect(figure(figures, 'Estimate per month')).toEqual({
      label: 'Estimate per month',
      value: '$85.69, above the monthly budget of $40.00',
      warning: true,
    });
    expect(figures.slice(3).every((f) => f.label !== 'Over budget')).toBe(true);
  });

  test('metered spend wins over jobs', () => {
    const summary = buildReviewSummary('cost', 2, makeSpec(), { spendUsd: 1200, trainingJobs: [job({ costUsd: 3 })] });
    expect(figure(summary.keyFigures, 'Spend so far')).toEqual({ label: 'Spend so far', value: '$1,200.00 (120 % of the total budget)', warning: true });
    expect(summary.keyFigures![0]).toEqual({ label: 'Over budget', value: 'Spend so far, $1,200.00, is above the total budget of $1,000.00.', warning: true });
  });

  test('spend falls back to jobs', () => {
    const summary = buildReviewSummary('deployment', 1, makeSpec(), { trainingJobs: [job({ costUsd: 3.5 }), job({ costUsd: 1.25 })] });
    expect(figure(summary.keyFigures, 'Spend so far').value).toBe('$4.75 (0.5 % of the total budget, training jobs only)');
  });

  test('deployment figures price the plan', () => {
    const jobs = [
      job({ name: 'demo-project-bench-0', instanceType: 'ml.m5.large', costUsd: 0.06, metrics: {}, resourceUsage: undefined }),
      job({ name: 'demo-project-bench-1', instanceType: 'ml.m5.xlarge', costUsd: 0.12, metrics: {}, resourceUsage: undefined }),
    ];
    const summary = buildReviewSummary('deployment', 1, makeSpec(), { trainingJobs: jobs });
    expect(figure(summary.keyFigures, 'Recommended configuration')).toEqual({
      label: 'Recommended configuration',
      value: '1 × ml.m5.large on-demand, from the benchmark',
    });
    expect(figure(summary.keyFigures, 'Deployment plan')).toEqual({
      label: 'Deployment plan',
      value: '1 × ml.m5.large: $0.115 per hour, $83.95 per month while in service',
    });
  });

  test('plan above monthly budget warned', () => {
    const spec = makeSpec((raw) => {
      raw.budgets.monthlyUsd = 100;
    });
    const summary = buildReviewSummary('deployment', 1, spec, { deployment: { instanceType: 'ml.m5.xlarge', instanceCount: 2 } });
    // 2 × $0.23 × 730 h = $335.80.
    expect(summary.keyFigures![0]).toEqual({
      label: 'Over budget',
      value: 'The endpoint alone costs $335.80 per month, above the monthly budget of $100.00.',
      warning: true,
    });
  });

  test('loaded price table prices plan', () => {
    const region = PRICE_TABLE.regions['us-east-1'];
    const doubled: PriceTable = {
      ...PRICE_TABLE,
      regions: { ...PRICE_TABLE.regions, 'us-east-1': { ...region, hosting: { ...region.hosting, 'ml.m5.large': region.hosting['ml.m5.large'] * 2 } } },
    };
    const summary = buildReviewSummary('deployment', 1, makeSpec(), { deployment: { instanceType: 'ml.m5.large', instanceCount: 1 } }, { priceTable: doubled });
    expect(figure(summary.keyFigures, 'Deployment plan').value).toBe('1 × ml.m5.large: $0.23 per hour, $167.90 per month while in service');
    expect(summary.tables[1].rows[0][3]).toBe('$167.90');
  });

  test('missing price named, not thrown', () => {
    const spec = makeSpec((raw) => {
      raw.training.candidates = [{ instanceType: 'ml.zz9.large' }];
    });
    const figures = buildReviewSummary('requirements', 1, spec).keyFigures!;
    expect(figure(figures, 'Estimate per month').warning).toBe(true);
    expect(figure(figures, 'Estimate per month').value).toMatch(/^unknown: .*ml\.zz9\.large/);
    expect(() => buildReviewSummary('cost', 1, spec)).toThrow(PriceNotFoundError);
  });
});

describe('review after spec revision', () => {
  const previous = makeSpec();
  const moreUsers = makeSpec((raw) => {
    raw.requirements.userScale.users = 4000;
  });
  const marks = (changes: ReviewChanges | undefined) => changes?.lines.map((line) => [line.mark, line.item]);

  test('only changed lines get marks', () => {
    // 1,000 → 4,000 users adds transfer only: one ml.m5.large serves either load, since the spec gives no throughput.
    const changes = buildReviewSummary('cost', 2, moreUsers, { previousSpec: previous }).changes;
    expect(marks(changes)).toEqual([
      ['+', 'requests per hour'],
      ['+', 'first 24 hours'],
      ['+', 'horizon total'],
      ['+', 'network per month'],
      ['+', 'total per month'],
      ['+', 'total per year'],
    ]);
    expect(changes!.lines[0]).toEqual({ mark: '+', item: 'requests per hour', before: '1,000', after: '4,000', change: '+3,000' });
    // Transfer of 1 KiB per request at $0.09/GB over 730 h: 1,000 requests/h cost $0.06 a month, 4,000 cost $0.25.
    expect(changes!.lines[3]).toEqual({ mark: '+', item: 'network per month', before: '$0.06', after: '$0.25', change: '+$0.19' });
    expect(changes!.perMonthChangeUsd).toBe(0.19);
    expect(changes!.summary).toBe('6 estimate lines changed; the cost per month goes from $85.69 to $85.88 (+$0.19).');
  });

  test('cheaper revision marked minus', () => {
    const changes = buildReviewSummary('requirements', 2, previous, { previousSpec: moreUsers }).changes!;
    expect(changes.lines.map((line) => line.mark)).toEqual(['-', '-', '-', '-', '-', '-']);
    expect(changes.lines[0]).toEqual({ mark: '-', item: 'requests per hour', before: '4,000', after: '1,000', change: '-3,000' });
    expect(changes.perMonthChangeUsd).toBe(-0.19);
    expect(changes.summary).toBe('6 estimate lines changed; the cost per month goes from $85.88 to $85.69 (-$0.19).');
  });

  test('changed setting marked tilde', () => {
    const bigger = makeSpec((raw) => {
      raw.training.candidates = [{ instanceType: 'ml.m5.xlarge', instanceCount: 2 }];
    });
    const changes = buildReviewSummary('deployment', 2, bigger, { previousSpec: previous, changeReason: 'Train on two larger instances' }).changes!;
    expect(changes.reason).toBe('Train on two larger instances');
    expect(changes.lines).toContainEqual({ mark: '~', item: 'training instance', before: '1 × ml.m5.large', after: '2 × ml.m5.xlarge', change: 'changed' });
    // 2 × $0.23 × 1 h = $0.46 against 1 × $0.115 × 1 h, shown as $0.12.
    expect(changes.lines).toContainEqual({ mark: '+', item: 'training, one run', before: '$0.12', after: '$0.46', change: '+$0.34' });
  });

  test('unchanged estimate says so', () => {
    const renamed = makeSpec((raw) => {
      raw.name = 'Demo project, renamed';
    });
    const changes = buildReviewSummary('cost', 2, renamed, { previousSpec: previous, changeReason: '  ' }).changes!;
    expect(changes).toEqual({ lines: [], perMonthChangeUsd: 0, summary: 'The revised spec leaves every line of the estimate as it was.' });
  });

  test('raised budgets shown as settings', () => {
    const richer = makeSpec((raw) => {
      raw.budgets.totalUsd = previous.budgets.totalUsd * 100;
    });
    const changes = buildReviewSummary('cost', 2, richer, { previousSpec: previous }).changes!;
    expect(changes.lines).toEqual([
      // The fixture's $1,000 budget, a hundred times over.
      { mark: '~', item: 'budget, total', before: '$1,000.00', after: '$100,000.00', change: '+$99,000.00' },
    ]);
    expect(changes.summary).toBe('The revised spec changes 1 budget and leaves every line of the estimate as it was.');
  });

  test('no previous spec, no changes', () => {
    expect(buildReviewSummary('cost', 1, previous).changes).toBeUndefined();
  });

  test('unknown previous price explained', () => {
    const unpriced = makeSpec((raw) => {
      raw.training.candidates = [{ instanceType: 'ml.zz9.large' }];
    });
    const changes = buildReviewSummary('cost', 2, previous, { previousSpec: unpriced }).changes!;
    expect(changes.lines).toEqual([]);
    expect(changes.perMonthChangeUsd).toBeUndefined();
    expect(changes.summary).toMatch(/^The cost difference to the previous spec cannot be computed: .*ml\.zz9\.large/);
  });
});
