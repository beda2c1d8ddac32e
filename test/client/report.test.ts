/**
 * The cost report: the model from a hand-built status with hand-checked
 * totals and forecast, the Markdown, JSON and HTML outputs, the HTML page
 * drawn in headless Chromium, and `mlops report` input checks as a child
 * process. Chromium comes from the project's setup; without it the
 * browser test fails.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { EXIT } from '../../domain/constants';
import { estimateCost } from '../../domain/estimate';
import { parseSpec } from '../../domain/spec';
import type { ProjectSpec } from '../../domain/spec';
import type { ProjectStatus, TrainingJobSummary } from '../../domain/status';
import { buildReport, CHART_IDS, defaultDestination, renderReport, renderReportHtml, renderReportMarkdown, type ReportModel } from '../../client/report';
import { Harness, QUICKSTART_DIR, quickstartSpec, REPO_ROOT } from '../support/harness';
import { assertBuildIsCurrent, cliEnv, runCli } from './cli-process';
import { benchmarkTable, keyFiguresTable } from '../../client/report/tables';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOT = path.join(os.tmpdir(), 'mlops-cost-report.png');

/** The reference estimate: $64.00 training, $0.70 per hour inference, storage and transfer priced at $0. */
const ESTIMATE = estimateCost(parseSpec(readFileSync(path.join(REPO_ROOT, 'examples', 'image-classification', 'project.yaml'), 'utf8'), 'project.yaml'));

const NOW = new Date('2026-11-07T00:00:00Z');

function job(name: string, change: Partial<TrainingJobSummary>): TrainingJobSummary {
  return {
    name,
    purpose: 'benchmark',
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    spot: false,
    status: 'Completed',
    pricePerHourUsd: 2,
    costUsd: 4,
    capUsd: 6,
    durationSeconds: 7200,
    stopped: false,
    metrics: { 'validation:accuracy': 0.91 },
    resourceUsage: { cpuPercentMax: 95, cpuPercentAvg: 60, memoryMiBMax: 2048 },
    ...change,
  };
}

/**
 * Returns a project in monitoring since 4 November. Spend points, in days since
 * benchmarking started on 2 November: (0, $0), (1, $10) for the two
 * benchmark jobs, (4, $20) from the last snapshot and (5, $24) now.
 */
function monitoringStatus(): ProjectStatus {
  return {
    projectId: 'image-classification',
    name: 'Image classification of product photos',
    owner: 'ada@example.com',
    phase: 'monitoring',
    phaseHistory: [
      { phase: 'requirements-review', at: '2026-11-01T00:00:00.000Z' },
      { phase: 'cost-review', at: '2026-11-01T12:00:00.000Z' },
      { phase: 'benchmarking', at: '2026-11-02T00:00:00.000Z' },
      { phase: 'deployment-review', at: '2026-11-03T00:00:00.000Z' },
      { phase: 'deploying', at: '2026-11-03T12:00:00.000Z' },
      { phase: 'monitoring', at: '2026-11-04T00:00:00.000Z' },
    ],
    approvals: [],
    reviews: [],
    estimate: ESTIMATE,
    trainingJobs: [
      job('bench-m5', {}),
      job('bench-c5', { instanceType: 'ml.c5.xlarge', spot: true, costUsd: 6, durationSeconds: 5400, stopped: true, status: 'Stopped', resourceUsage: undefined, metrics: {} }),
    ],
    recommendation: { instanceType: 'ml.m5.large', instanceCount: 1, spot: false, reason: 'It reached the accuracy target at the lower cost.' },
    retrainings: [],
    lastMonitoring: { at: '2026-11-06T00:00:00.000Z', invocations: 1200, errors: 0, spendUsd: 20 },
    spendUsd: 24,
    budgetUsd: 200,
  };
}

describe('report model', () => {
  test('spend totals match the status', () => {
    const model = buildReport(monitoringStatus(), { now: NOW });

    expect(model.spend.spendUsd).toBe(24);
    expect(model.spend.budgetUsd).toBe(200);
    expect(model.spend.remainingUsd).toBe(176);
    expect(model.spend.budgetUsedFraction).toBeCloseTo(0.12, 10);
    expect(model.spend.trainingJobsUsd).toBe(10);
    expect(model.generatedAt).toBe('2026-11-07T00:00:00.000Z');
  });

  test('cost check and spot saving shown', () => {
    const status = monitoringStatus();
    status.trainingJobs[1] = { ...status.trainingJobs[1], billableSeconds: 1200, trainingSeconds: 3000, spotSavingsPercent: 60 };
    status.costCheck = {
      at: '2026-11-06T06:00:00.000Z',
      metric: 'AmortizedCost',
      meteredUsd: 20,
      reportedUsd: 21.5,
      differenceUsd: 1.5,
      differencePercent: 7.5,
      forecastRestOfMonthUsd: 90,
      notes: ['Cost Explorer lags by up to 24 hours.'],
    };

    const model = buildReport(status, { now: NOW });
    const figures = Object.fromEntries(keyFiguresTable(model).rows);
    const jobs = benchmarkTable(model);

    expect(figures['Cost Explorer AmortizedCost (2026-11-06 06:00 UTC)']).toBe('$21.50');
    expect(figures['Cost Explorer minus metered']).toBe('$1.50 (7.5 %)');
    expect(figures['Cost Explorer forecast, rest of month']).toBe('$90.00');
    expect(model.notes).toContain('Cost Explorer lags by up to 24 hours.');
    expect(jobs.rows[1][jobs.columns.indexOf('spot saving')]).toBe('60 %');
    expect(jobs.rows[0][jobs.columns.indexOf('spot saving')]).toBe('-');
  });

  test('forecast fits hand-checked slope', () => {
    const model = buildReport(monitoringStatus(), { now: NOW });

    expect(model.charts.spendOverTime.points.map((p) => [p.at, p.spendUsd])).toEqual([
      ['2026-11-02T00:00:00.000Z', 0],
      ['2026-11-03T00:00:00.000Z', 10],
      ['2026-11-06T00:00:00.000Z', 20],
      ['2026-11-07T00:00:00.000Z', 24],
    ]);
    // Mean day 2.5 and mean spend 13.5: Sxy = 75 and Sxx = 17, so the slope is 75/17 $/day.
    expect(model.forecast.slopeUsdPerDay).toBeCloseTo(75 / 17, 9);
    expect(model.forecast.monthEnd).toBe('2026-12-01T00:00:00.000Z');
    // $24 now plus 24 days left × 75/17 = 24 + 105.88 = $129.88.
    expect(model.forecast.forecastUsd).toBe(129.88);
    expect(model.forecast.overBudget).toBe(false);
    expect(model.forecast.pointCount).toBe(4);
    expect(model.charts.spendOverTime.forecastLine).toEqual([
      { at: '2026-11-07T00:00:00.000Z', spendUsd: 24 },
      { at: '2026-12-01T00:00:00.000Z', spendUsd: 129.88 },
    ]);
  });

  test('forecast over budget is flagged', () => {
    const status = { ...monitoringStatus(), budgetUsd: 100 };
    const model = buildReport(status, { now: NOW });

    expect(model.forecast.forecastUsd).toBe(129.88);
    expect(model.forecast.overBudget).toBe(true);
  });

  test('retraining cost placed at decision', () => {
    const status = monitoringStatus();
    status.trainingJobs.push(job('retrain-1', { purpose: 'retraining', costUsd: 3 }));
    status.retrainings.push({ at: '2026-11-05T00:00:00.000Z', driftScore: 0.4, jobName: 'retrain-1', outcome: 'deployed', reason: 'better' });
    const model = buildReport(status, { now: NOW });

    expect(model.charts.spendOverTime.points.map((p) => [p.at, p.spendUsd, p.source])).toEqual([
      ['2026-11-02T00:00:00.000Z', 0, 'benchmarking started'],
      ['2026-11-03T00:00:00.000Z', 10, 'benchmark jobs'],
      ['2026-11-05T00:00:00.000Z', 13, 'retraining job retrain-1'],
      ['2026-11-06T00:00:00.000Z', 20, 'lastMonitoring'],
      ['2026-11-07T00:00:00.000Z', 24, 'spendUsd'],
    ]);
    expect(model.spend.trainingJobsUsd).toBe(13);
  });

  test('ended project forecast keeps spend', () => {
    const status = monitoringStatus();
    status.phase = 'closed';
    status.phaseHistory.push({ phase: 'closed', at: '2026-11-05T00:00:00.000Z' });
    status.lastMonitoring = undefined;
    const model = buildReport(status, { now: NOW });

    expect(model.forecast.forecastUsd).toBe(24);
    expect(model.forecast.slopeUsdPerDay).toBe(0);
    expect(model.charts.spendOverTime.points.at(-1)).toEqual({ at: '2026-11-05T00:00:00.000Z', spendUsd: 24, source: 'spendUsd' });
  });

  test('review phase forecast keeps spend', () => {
    const status: ProjectStatus = {
      ...monitoringStatus(),
      phase: 'cost-review',
      phaseHistory: monitoringStatus().phaseHistory.slice(0, 2),
      trainingJobs: [],
      lastMonitoring: undefined,
      estimate: undefined,
      spendUsd: 0,
    };
    const model = buildReport(status, { now: NOW });

    expect(model.forecast.forecastUsd).toBe(0);
    expect(model.forecast.slopeUsdPerDay).toBe(0);
    expect(model.forecast.method).toMatch(/No training job or endpoint runs in phase cost-review/);
    expect(model.charts.spendOverTime.points).toEqual([]);
    expect(model.estimate).toBeUndefined();
    expect(model.charts.costBreakdown).toBeUndefined();
    expect(model.notes).toEqual(['The project has no cost estimate yet.', 'No training job has run yet.']);
  });

  test('deployment review ignores benchmark slope', () => {
    const status = monitoringStatus();
    status.phase = 'deployment-review';
    status.phaseHistory = status.phaseHistory.slice(0, 4);
    status.lastMonitoring = undefined;
    status.spendUsd = 10;
    const model = buildReport(status, { now: NOW });

    expect(model.forecast.forecastUsd).toBe(10);
    expect(model.forecast.overBudget).toBe(false);
  });

  test('short spend span gives no forecast', () => {
    const status = monitoringStatus();
    // Benchmarking started 4 hours before NOW, so the points span 4 hours.
    status.phaseHistory = [
      { phase: 'benchmarking', at: '2026-11-06T20:00:00.000Z' },
      { phase: 'deployment-review', at: '2026-11-06T21:00:00.000Z' },
      { phase: 'monitoring', at: '2026-11-06T22:00:00.000Z' },
    ];
    status.lastMonitoring = { ...status.lastMonitoring!, at: '2026-11-06T23:00:00.000Z' };
    const model = buildReport(status, { now: NOW });

    expect(model.charts.spendOverTime.points).toHaveLength(4);
    expect(model.forecast.forecastUsd).toBeUndefined();
    expect(model.forecast.method).toBe('No forecast: the spend points span 4 h 00 min, and a trend needs at least 24 hours of them.');
    expect(model.charts.spendOverTime.forecastLine).toEqual([]);
  });

  test('chart data from estimate and jobs', () => {
    const model = buildReport(monitoringStatus(), { now: NOW });

    expect(model.estimate?.totals.horizonUsd).toBe(ESTIMATE.totals.horizonUsd);
    // 720 h × $0.70 = $504 of inference. The example prices storage and transfer at $0.
    expect(model.charts.costBreakdown).toEqual({
      horizonHours: 720,
      items: [
        { label: 'training (one run)', usd: 64 },
        { label: 'inference', usd: 504 },
        { label: 'storage', usd: 0 },
        { label: 'network', usd: 0 },
      ],
    });
    expect(model.charts.costVsDuration).toEqual([
      { configuration: '1 × ml.m5.large', jobs: [{ name: 'bench-m5', durationHours: 2, costUsd: 4 }] },
      { configuration: '1 × ml.c5.xlarge (spot)', jobs: [{ name: 'bench-c5', durationHours: 1.5, costUsd: 6 }] },
    ]);
    expect(model.benchmark[1]).toMatchObject({ stopped: true, spot: true, cpuPercentMax: undefined });
  });

  test('unknown estimate shape is left out', () => {
    const model = buildReport({ ...monitoringStatus(), estimate: { totalUsd: 3 } }, { now: NOW });

    expect(model.estimate).toBeUndefined();
    expect(model.notes).toContain('The status carries an estimate in an unknown shape, so the report leaves it out.');
  });
});

describe('report outputs', () => {
  const model = buildReport(monitoringStatus(), { now: NOW });

  test('markdown has tables, no charts', () => {
    const markdown = renderReportMarkdown(model);

    expect(markdown).toMatch(/^# Cost report: Image classification of product photos \(image-classification\)\n/);
    expect(markdown).toContain('has no charts');
    expect(markdown).toContain('| spend so far | $24.00 |');
    expect(markdown).toContain('| forecast at month end (2026-12-01) | $129.88 |');
    expect(markdown).toContain('| bench-c5 | benchmark | 1 × ml.c5.xlarge (spot) | Stopped | 1 h 30 min | $2.00/instance-hour | $6.00 | $6.00 | yes |');
    expect(markdown).toContain('| 2026-11-03 00:00 | $10.00 | benchmark jobs |');
    expect(markdown).not.toContain('<canvas');
  });

  test('markdown escapes pipes and html', () => {
    const markdown = renderReportMarkdown(buildReport({ ...monitoringStatus(), name: 'a | b <i>x</i>' }, { now: NOW }));

    expect(markdown).toContain('# Cost report: a \\| b &lt;i&gt;x&lt;/i&gt; (image-classification)');
    expect(markdown).not.toContain('<i>');
  });

  test('default destination per format', () => {
    expect(defaultDestination('image-classification', 'html')).toBe('image-classification-report.html');
    expect(defaultDestination('image-classification', 'md')).toBe('-');
    expect(defaultDestination('image-classification', 'json')).toBe('-');
  });

  test('json is the model itself', () => {
    const json = renderReport(model, 'json');

    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(model)));
    expect((JSON.parse(json) as ReportModel).forecast.forecastUsd).toBe(129.88);
  });

  test('html escapes status text', () => {
    const status = monitoringStatus();
    status.name = '<img src=x onerror=alert(1)>';
    status.trainingJobs[0].name = 'job</script><script>alert(2)</script>';
    const html = renderReportHtml(buildReport(status, { now: NOW }));

    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('</script><script>alert(2)');
    expect(html).toContain('job&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    // The chart data carries the job name too, with `<` escaped inside the JSON.
    expect(html).toContain('job\\u003c/script>\\u003cscript>alert(2)\\u003c/script>');
  });

  test('html loads nothing external', () => {
    const html = renderReportHtml(model);

    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toMatch(/<script>\/\*!\n \* Chart\.js v4/);
    expect(html).toContain(`default-src 'none'`);
    expect(html.match(/<canvas /g)).toHaveLength(3);
  });
});

describe('report in Chromium', () => {
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

  test('every chart draws pixels', async () => {
    const html = renderReportHtml(buildReport(monitoringStatus(), { now: NOW }));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    await page.setContent(html, { waitUntil: 'load' });
    // The expression runs in the page; the test's TypeScript has no DOM types.
    const canvases = (await page.evaluate(`Array.from(document.querySelectorAll('canvas')).map(function (canvas) {
      var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      var painted = 0;
      for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
      return { id: canvas.id, width: canvas.width, height: canvas.height, painted: painted };
    })`)) as { id: string; width: number; height: number; painted: number }[];
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(canvases.map((canvas) => canvas.id)).toEqual([CHART_IDS.spend, CHART_IDS.breakdown, CHART_IDS.costVsDuration]);
    for (const canvas of canvases) {
      expect({ id: canvas.id, widthAboveZero: canvas.width > 0 }).toEqual({ id: canvas.id, widthAboveZero: true });
      expect({ id: canvas.id, heightAboveZero: canvas.height > 0 }).toEqual({ id: canvas.id, heightAboveZero: true });
      // A chart that failed leaves its canvas transparent. Axes, labels and points paint far more than 500 pixels (over 20,000 here).
      expect({ id: canvas.id, drawn: canvas.painted > 500 }).toEqual({ id: canvas.id, drawn: true });
    }
  });
});

describe('mlops report', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mlops-report-'));

  beforeAll(() => assertBuildIsCurrent());

  test('bad format exits with 2', async () => {
    const result = await runCli(['report', 'image-classification', '--format', 'pdf'], cliEnv(home));

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain("'pdf' is not a report format; expected one of html, md, json");
  });

  test('bad out folder exits with 2', async () => {
    const result = await runCli(['report', 'image-classification', '--out', path.join(home, 'missing', 'r.html')], cliEnv(home));

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain(`folder ${path.join(home, 'missing')} does not exist`);
  });

  test('unknown project exits with 1', async () => {
    const result = await runCli(['report', 'no-such-project', '--format', 'json'], cliEnv(home, process.env.TEMPORAL_ADDRESS));

    expect(result.code).toBe(EXIT.failure);
    expect(result.stderr).toMatch(/project no-such-project not found/);
    expect(result.stdout).toBe('');
  });
});

describe('mlops report on a running project', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'mlops-report-e2e-'));
  const harness = new Harness();
  let spec: ProjectSpec;

  beforeAll(async () => {
    assertBuildIsCurrent();
    await harness.start();
  });

  afterAll(async () => {
    if (spec) await harness.projects.stop(spec.id, 'test finished').catch(() => undefined);
    await harness.stop();
  });

  /** Approves every pending ballot of `gate`, once the gate waits for them. */
  async function approve(gate: 'requirements' | 'cost'): Promise<void> {
    const status = await harness.waitFor(spec.id, `${gate} approvals requested`, (s) => s.pendingGate === gate);
    for (const ballot of status.approvals.filter((a) => a.gate === gate && a.decision === '')) {
      await harness.projects.decide(spec.id, { gate, email: ballot.email, decision: 'approved', channel: 'test' });
    }
  }

  test('report after benchmark has jobs', async () => {
    spec = quickstartSpec('report');
    await harness.projects.start(spec, QUICKSTART_DIR);
    await approve('requirements');
    await approve('cost');
    const status = await harness.waitForPhase(spec.id, 'deployment-review', 180_000);
    // The CLI's status query reaches the harness worker, which polls the workflow's own task queue.
    const env = cliEnv(home, process.env.TEMPORAL_ADDRESS);

    const json = await runCli(['report', spec.id, '--format', 'json'], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(EXIT.ok);
    const model = JSON.parse(json.stdout) as ReportModel;
    expect(model.projectId).toBe(spec.id);
    expect(model.estimate?.projectId).toBe(spec.id);
    expect(model.benchmark.map((row) => row.name)).toEqual(status.trainingJobs.map((job) => job.name));
    expect(model.spend.trainingJobsUsd).toBeGreaterThan(0);
    expect(model.charts.spendOverTime.points[0].source).toBe('benchmarking started');
    // The quickstart spec has a loadTest section, so the chosen model was load-tested before the review.
    expect(status.loadTests?.length).toBeGreaterThan(0);
    expect(model.charts.costPer1000Predictions.length).toBe(status.loadTests!.length);

    const markdown = await runCli(['report', spec.id, '--format', 'md'], env);
    expect(markdown.code).toBe(EXIT.ok);
    expect(markdown.stdout).toContain(`# Cost report: ${spec.name} (${spec.id})`);

    const htmlFile = path.join(home, 'report.html');
    const html = await runCli(['report', spec.id, '--out', htmlFile], env);
    expect(html.code).toBe(EXIT.ok);
    expect(html.stdout).toBe(`wrote the html report of ${spec.id} to ${htmlFile}\n`);
    expect(statSync(htmlFile).size).toBeGreaterThan(200_000);
    // Cost breakdown, spend over time, cost against duration, and cost per 1,000 predictions.
    expect(readFileSync(htmlFile, 'utf8').match(/<canvas /g)).toHaveLength(4);
  });
});
