/**
 * The cost report's unit costs: the load tests, the endpoint sizing with
 * the cost per 1,000 predictions and the training cost as the data grows.
 * They are checked in the JSON model, in Markdown and in HTML, and the
 * cost-per-1,000 chart is drawn in headless Chromium. Chromium comes from
 * the project's setup; without it the browser test fails.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { buildReport, CHART_IDS, renderReport, renderReportHtml, renderReportMarkdown } from '../../client/report';
import { estimateCost } from '../../domain/estimate';
import type { LoadTestResult, ProjectStatus, TrainingJobSummary } from '../../domain/status';
import { makeSpec } from '../domain/fixtures';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const NOW = new Date('2026-11-07T00:00:00Z');

/** 200 users × 50 requests a day at peak factor 2, 10 GB of data growing 2 GB a month. */
const SPEC = makeSpec((raw) => {
  raw.requirements.userScale = { users: 200, requestsPerUserPerDay: 50, peakFactor: 2 };
  raw.requirements.systemScale = { maxInstances: 2 };
  raw.requirements.dataScale = { sizeGb: 10, growthGbPerMonth: 2, updateFrequency: 'monthly' };
});

const JOB: TrainingJobSummary = {
  name: 'demo-project-bench-0',
  purpose: 'benchmark',
  instanceType: 'ml.m5.large',
  instanceCount: 1,
  spot: false,
  status: 'Completed',
  pricePerHourUsd: 0.115,
  costUsd: 0.0575,
  capUsd: 10,
  durationSeconds: 1800,
  stopped: false,
  metrics: {},
};

const LOAD_TESTS: LoadTestResult[] = [
  {
    instanceType: 'ml.m5.large',
    pricePerHourUsd: 0.115,
    requests: 200,
    errors: 0,
    concurrency: 4,
    durationSeconds: 4,
    throughputRps: 50,
    latencyMs: { p50: 8, p95: 12, max: 30 },
    at: '2026-11-03T00:00:00.000Z',
  },
  {
    instanceType: 'ml.c5.xlarge',
    pricePerHourUsd: 0.204,
    requests: 200,
    errors: 2,
    concurrency: 4,
    durationSeconds: 1.66,
    throughputRps: 120,
    latencyMs: { p50: 20, p95: 33, max: 90 },
    at: '2026-11-03T00:01:00.000Z',
  },
];

function status(change: Partial<ProjectStatus> = {}): ProjectStatus {
  return {
    projectId: 'demo-project',
    name: 'Demo project',
    owner: 'owner@example.com',
    phase: 'deployment-review',
    phaseHistory: [
      { phase: 'benchmarking', at: '2026-11-02T00:00:00.000Z' },
      { phase: 'deployment-review', at: '2026-11-03T00:00:00.000Z' },
    ],
    approvals: [],
    reviews: [],
    estimate: estimateCost(SPEC),
    trainingJobs: [JOB],
    loadTests: LOAD_TESTS,
    retrainings: [],
    spendUsd: 0.1,
    budgetUsd: 1000,
    ...change,
  };
}

describe('report unit costs', () => {
  test('model sizes from estimate load', () => {
    const model = buildReport(status(), { now: NOW });

    const sizings = model.unitCosts.hosting?.sizings ?? [];
    expect(sizings.map((s) => s.measurement.instanceType)).toEqual(['ml.m5.large', 'ml.c5.xlarge']);
    // $0.115 × 1 instance ÷ 416.67 requests/h × 1,000 = $0.276; $0.204 ÷ 416.67 × 1,000 = $0.4896.
    expect(sizings[0].costPer1000AtPlannedLoadUsd).toBeCloseTo(0.276, 9);
    expect(sizings[1].costPer1000AtPlannedLoadUsd).toBeCloseTo(0.4896, 9);
    expect(model.unitCosts.hosting?.cheapest).toBe('ml.m5.large');
    expect(model.charts.costPer1000Predictions).toEqual([
      { instanceType: 'ml.m5.large', atFullUseUsd: expect.closeTo(0.000638889, 9), atPlannedLoadUsd: expect.closeTo(0.276, 9) },
      { instanceType: 'ml.c5.xlarge', atFullUseUsd: expect.closeTo(0.000472222, 9), atPlannedLoadUsd: expect.closeTo(0.4896, 9) },
    ]);
    // 180 s per GB; 34 GB in 12 months takes 6,120 s.
    expect(model.unitCosts.training.configurations[0].projections.map((p) => p.durationSeconds)).toEqual([
      1800,
      expect.closeTo(3960, 6),
      expect.closeTo(6120, 6),
    ]);
    expect(model.unitCosts.warnings).toContain('2 requests of 200 failed in the load test of ml.c5.xlarge; its throughput counts only the requests that succeeded.');
  });

  test('json carries unit costs', () => {
    const json = JSON.parse(renderReport(buildReport(status(), { now: NOW }), 'json'));

    expect(json.unitCosts.loadTests).toHaveLength(2);
    expect(json.unitCosts.hosting.cheapest).toBe('ml.m5.large');
  });

  test('markdown shows unit cost tables', () => {
    const markdown = renderReportMarkdown(buildReport(status(), { now: NOW }));

    expect(markdown).toContain('## Cost per unit of work');
    expect(markdown).toContain('**Load test (one instance each)**');
    expect(markdown).toContain('| ml.c5.xlarge | 200 | 2 | 4 | 1.7 s | 120 requests/s | 20 / 33 / 90 ms | $0.204 |');
    expect(markdown).toContain('**Endpoint sizing and cost per 1,000 predictions');
    expect(markdown).toContain('| ml.m5.large (cheapest) | load test | 50 requests/s | 12 ms | 1 / 1 / 2 | 0.5 % | - | $0.000639 | $0.276 | $83.95 |');
    expect(markdown).toContain('**Cost per training run as the data grows (linear in data size, an estimate)**');
    expect(markdown).toContain('Per prediction, ml.m5.large is the cheapest measured hosting type that fits within 2 instances');
  });

  test('no estimate, no sizing', () => {
    const model = buildReport(status({ estimate: undefined }), { now: NOW });

    expect(model.unitCosts.hosting).toBeUndefined();
    expect(model.charts.costPer1000Predictions).toEqual([]);
    expect(model.unitCosts.training.configurations[0].costPerRunUsd).toBe(0.0575);
    expect(renderReportHtml(model, '/* chart library left out */')).not.toContain(`id="${CHART_IDS.costPer1000Predictions}"`);
  });
});

describe('report unit costs in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: run the project's setup script (npm run setup), which installs Chromium, then rerun the tests`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('cost per 1,000 chart draws', async () => {
    const html = renderReportHtml(buildReport(status(), { now: NOW }));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.setContent(html, { waitUntil: 'load' });
    // The expression runs in the page; the test's TypeScript has no DOM types.
    const painted = (await page.evaluate(`(function () {
      var canvas = document.getElementById('${CHART_IDS.costPer1000Predictions}');
      if (!canvas) return -1;
      var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      var count = 0;
      for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) count++;
      return count;
    })()`)) as number;
    await page.close();

    expect(errors).toEqual([]);
    // -1 means no canvas; a chart that failed leaves its canvas transparent, while axes, labels and bars paint thousands of pixels.
    expect(painted).toBeGreaterThan(500);
  });
});
