/**
 * The deployment review shows the load tests, the endpoint sizing with the
 * cost per 1,000 predictions and the training cost as the data grows, with
 * figures checked by hand in the comments.
 */
import { buildReviewSummary } from '../../domain/review';
import type { LoadTestResult, SummaryTable, TrainingJobSummary } from '../../domain/status';
import { makeSpec } from './fixtures';

/** 200 users × 50 requests a day, twice the average at peak: 416.67 requests/h and 0.2315 requests/s at peak. */
const spec = makeSpec((raw) => {
  raw.requirements.userScale = { users: 200, requestsPerUserPerDay: 50, peakFactor: 2 };
  raw.requirements.systemScale = { maxInstances: 1 };
  raw.requirements.latencyTargetMs = 100;
  raw.requirements.dataScale = { sizeGb: 10, growthGbPerMonth: 2, updateFrequency: 'monthly' };
  raw.training.maxRuntimeSeconds = 5000;
  raw.training.candidates = [{ instanceType: 'ml.m5.large' }, { instanceType: 'ml.c5.xlarge' }];
});

function job(change: Partial<TrainingJobSummary>): TrainingJobSummary {
  return {
    name: 'demo-project-bench-0',
    purpose: 'benchmark',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    spot: false,
    status: 'Completed',
    pricePerHourUsd: 0.115,
    // 30 minutes at $0.115/h.
    costUsd: 0.0575,
    capUsd: 10,
    durationSeconds: 1800,
    stopped: false,
    metrics: {},
    ...change,
  };
}

function loadTest(change: Partial<LoadTestResult>): LoadTestResult {
  return {
    instanceType: 'ml.m5.large',
    pricePerHourUsd: 0.115,
    requests: 200,
    errors: 0,
    concurrency: 4,
    durationSeconds: 4,
    throughputRps: 50,
    latencyMs: { p50: 8, p95: 12, max: 30 },
    at: '2026-11-03T00:00:00.000Z',
    ...change,
  };
}

const jobs = [job({}), job({ name: 'demo-project-bench-1', instanceType: 'ml.c5.xlarge', costUsd: 0.1, durationSeconds: 1500 })];
const loadTests = [loadTest({}), loadTest({ instanceType: 'ml.c5.xlarge', pricePerHourUsd: 0.204, throughputRps: 120, latencyMs: { p50: 90, p95: 150, max: 400 } })];

function table(tables: SummaryTable[], captionStart: string): SummaryTable {
  const found = tables.find((t) => t.caption.startsWith(captionStart));
  if (!found) throw new Error(`no table whose caption starts with "${captionStart}"; captions: ${tables.map((t) => t.caption).join(' | ')}`);
  return found;
}

function row(t: SummaryTable, firstCell: string): Record<string, string> {
  const found = t.rows.find((r) => r[0] === firstCell);
  if (!found) throw new Error(`no row "${firstCell}" in ${t.caption}; rows: ${t.rows.map((r) => r[0]).join(', ')}`);
  return Object.fromEntries(t.columns.map((column, i) => [column, found[i]]));
}

describe('deployment review unit costs', () => {
  const summary = buildReviewSummary('deployment', 1, spec, { trainingJobs: jobs, loadTests });

  test('load test table per type', () => {
    const loadTable = table(summary.tables, 'Load test');

    expect(loadTable.rows).toHaveLength(2);
    expect(row(loadTable, 'ml.m5.large')).toEqual({
      'instance type': 'ml.m5.large',
      requests: '200',
      errors: '0',
      concurrency: '4',
      duration: '4 s',
      throughput: '50 requests/s',
      'latency p50 / p95 / max': '8 / 12 / 30 ms',
      'price per instance-hour': '$0.115',
    });
  });

  test('sizing table hand-checked', () => {
    const sizing = table(summary.tables, 'Endpoint sizing and cost per 1,000 predictions');

    expect(sizing.caption).toBe('Endpoint sizing and cost per 1,000 predictions (peak 0.231 requests/s, 416.67 requests/h planned, 70 % target utilisation)');
    // ceil(0.2315 ÷ 35) = 1 instance; $0.115 ÷ 180,000 requests × 1,000 = $0.000639; $0.115 ÷ 416.67 × 1,000 = $0.276; × 730 h = $83.95.
    expect(row(sizing, 'ml.m5.large (cheapest)')).toEqual({
      'instance type': 'ml.m5.large (cheapest)',
      'figures from': 'load test',
      'throughput per instance': '50 requests/s',
      'latency p95': '12 ms',
      'instances (needed / used / max)': '1 / 1 / 1',
      'utilisation at peak': '0.5 %',
      'latency target': 'met',
      'per 1,000 at full use': '$0.000639',
      'per 1,000 at planned load': '$0.276',
      'per month (730 h)': '$83.95',
    });
    // $0.204 ÷ 432,000 × 1,000 = $0.000472 at full use, but 150 ms misses the 100 ms target.
    expect(row(sizing, 'ml.c5.xlarge')['per 1,000 at full use']).toBe('$0.000472');
    expect(row(sizing, 'ml.c5.xlarge')['latency target']).toBe('missed');
  });

  test('training growth table hand-checked', () => {
    const growth = table(summary.tables, 'Cost per training run as the data grows');

    expect(growth.columns.slice(4)).toEqual(['now (10 GB)', 'in 6 months (22 GB)', 'in 12 months (34 GB)']);
    // 180 s per GB: 1,800 s now, 3,960 s at 22 GB, 6,120 s at 34 GB (past the 5,000 s deadline).
    expect(row(growth, '1 × ml.m5.large on-demand')).toEqual({
      configuration: '1 × ml.m5.large on-demand',
      job: 'demo-project-bench-0',
      'cost per run': '$0.06',
      'time per GB': '3 min 00 s',
      'now (10 GB)': '30 min 00 s, $0.06',
      'in 6 months (22 GB)': '1 h 06 min, $0.13',
      'in 12 months (34 GB)': '1 h 42 min, $0.20 (over the deadline)',
    });
  });

  test('cheapest type named', () => {
    expect(summary.paragraphs).toContain(
      'Per prediction, ml.m5.large is the cheapest measured hosting type that fits within 1 instance and meets the 100 ms latency target: ' +
        '$0.276 per 1,000 predictions at the planned 416.67 requests/h on 1 instance.',
    );
  });

  test('warnings in notes', () => {
    expect(summary.notes).toContain('ml.c5.xlarge responded in 150 ms at the 95th percentile, above requirements.latencyTargetMs of 100 ms.');
    expect(summary.notes).toContainEqual(expect.stringMatching(/^In 12 months, at 34 GB, a run on 1 × ml.m5.large on-demand would take about 1 h 42 min/));
  });
});

describe('deployment review without load tests', () => {
  test('spec throughput sizes endpoint', () => {
    const withThroughput = makeSpec((raw) => {
      raw.requirements.userScale = { users: 200, requestsPerUserPerDay: 50, peakFactor: 2 };
      raw.estimate = { throughputPerInstanceRps: 25, latencyMs: 40 };
    });

    const summary = buildReviewSummary('deployment', 1, withThroughput, { trainingJobs: [job({})] });

    expect(summary.tables.some((t) => t.caption.startsWith('Load test'))).toBe(false);
    const sizing = table(summary.tables, 'Endpoint sizing');
    // $0.115 ÷ (25 × 3,600) × 1,000 = $0.001278.
    expect(row(sizing, 'ml.m5.large (cheapest)')['figures from']).toBe('spec');
    expect(row(sizing, 'ml.m5.large (cheapest)')['per 1,000 at full use']).toBe('$0.001278');
  });

  test('no throughput, no sizing table', () => {
    const summary = buildReviewSummary('deployment', 1, spec, { trainingJobs: [job({})] });

    expect(summary.tables.some((t) => t.caption.startsWith('Endpoint sizing'))).toBe(false);
    expect(table(summary.tables, 'Cost per training run').rows).toHaveLength(1);
  });
});
