/**
 * The whole project lifecycle on a real Temporal dev server with the real
 * local provider: approvals through the e-mailed links, a benchmark with a
 * cost cap, deployment, drift that triggers a retraining, the idle
 * shutdown, a redeploy and the close that releases everything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { readRequestFile, replay } from '../../client/traffic';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { projectWorkflowId } from '../../domain/constants';
import type { ProjectStatus } from '../../domain/status';
import { Harness, QUICKSTART_DIR, processesMentioning, quickstartSpec, submitDecision } from '../support/harness';

jest.setTimeout(5 * 60_000);

const harness = new Harness();
beforeAll(() => harness.start());
afterAll(() => harness.stop());

const trainingRequests = readRequestFile(path.join(QUICKSTART_DIR, 'requests', 'training-period.jsonl'));
const laterRequests = readRequestFile(path.join(QUICKSTART_DIR, 'requests', 'later-period.jsonl'));

/**
 * Saves the first run's history for the replay test; run with
 * MLOPS_RECORD_HISTORIES=1 after a deliberate workflow change.
 */
async function recordHistory(projectId: string): Promise<void> {
  let firstRunId = '';
  for await (const execution of harness.client.workflow.list({ query: `WorkflowId = '${projectWorkflowId(projectId)}'` })) {
    firstRunId = execution.runId;
  }
  const workflowId = projectWorkflowId(projectId);
  const history = await harness.client.workflow.getHandle(workflowId, firstRunId).fetchHistory();
  const file = path.join(__dirname, '..', 'histories', 'lifecycle-first-run.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `{"workflowId":${JSON.stringify(workflowId)},"history":${historyToJSON(history)}}\n`);
}

/** Approves every pending ballot of the current gate through its e-mailed link, checking that a page load decides nothing. */
async function approveGateThroughLinks(projectId: string, gate: string, keepLink: (link: string) => void = () => undefined): Promise<void> {
  const status = await harness.waitFor(projectId, `${gate} approvals requested`, (s) => s.pendingGate === gate);
  const pending = status.approvals.filter((a) => a.gate === gate && a.decision === '');
  const mails = await harness.approvalMails(pending.length);
  const decided = async () => (await harness.status(projectId)).approvals.filter((a) => a.gate === gate && a.decision !== '').length;
  for (const mail of mails) {
    const before = await decided();
    const page = await fetch(mail.link);
    expect(page.status).toBe(200);
    await page.text();
    expect(await decided()).toBe(before);
    const result = await submitDecision(mail.link, 'approved');
    expect(result.status).toBe(200);
    keepLink(mail.link);
  }
}

const CHROMIUM = '/usr/bin/chromium';

/** Approves the gate's pending ballots by clicking Approve on each e-mailed link in headless Chromium. */
async function approveGateInBrowser(browser: Browser, projectId: string, gate: string): Promise<void> {
  const status = await harness.waitFor(projectId, `${gate} approvals requested`, (s) => s.pendingGate === gate);
  const pending = status.approvals.filter((a) => a.gate === gate && a.decision === '');
  const decided = async () => (await harness.status(projectId)).approvals.filter((a) => a.gate === gate && a.decision !== '').length;
  for (const mail of await harness.approvalMails(pending.length)) {
    const page = await browser.newPage();
    const before = await decided();
    await page.goto(mail.link);
    expect(await decided()).toBe(before);
    await Promise.all([page.waitForURL(mail.link), page.click('button.approve')]);
    expect(await page.locator('h1').textContent()).toBe('Decision recorded');
    await page.close();
  }
}

describe('project lifecycle', () => {
  const spec = quickstartSpec('life', (s) => {
    s.monitoring.intervalSeconds = 2;
    s.monitoring.idleWindowSeconds = 12;
    s.retraining.cooldownSeconds = 3600;
  });
  let status: ProjectStatus;

  let requirementsLink = '';

  test('approvals lead to a benchmark', async () => {
    await harness.projects.start(spec, QUICKSTART_DIR);
    await approveGateThroughLinks(spec.id, 'requirements', (link) => (requirementsLink = link));
    await harness.waitFor(spec.id, 'cost approvals requested', (s) => s.pendingGate === 'cost');

    const wrongGate = await submitDecision(requirementsLink, 'rejected');
    expect(wrongGate.status).toBe(409);
    expect(wrongGate.body).toMatch(/requirements gate is not open/);
    const tampered = await submitDecision(`${requirementsLink.slice(0, -3)}${requirementsLink.endsWith('AAA') ? 'BBB' : 'AAA'}`, 'approved');
    expect(tampered.status).toBe(403);
    expect((await harness.status(spec.id)).approvals.some((a) => a.decision === 'rejected')).toBe(false);

    await approveGateThroughLinks(spec.id, 'cost');
    // The phase changes before the review is built, so wait for the gate to open.
    status = await harness.waitFor(spec.id, 'the deployment gate', (s) => s.pendingGate === 'deployment', 180_000);

    expect(status.trainingJobs).toHaveLength(spec.training.candidates.length);
    expect(new Set(status.trainingJobs.map((j) => j.name)).size).toBe(spec.training.candidates.length);
    for (const job of status.trainingJobs) {
      expect(['Completed', 'Stopped']).toContain(job.status);
      expect(job.costUsd).toBeGreaterThan(0);
      expect(job.costUsd).toBeLessThanOrEqual(job.capUsd);
    }
    expect(status.recommendation).toBeDefined();
    expect(status.reviews.map((r) => r.gate)).toEqual(['requirements', 'cost', 'deployment']);
  });

  test('deployment approval puts the endpoint in service', async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run \`node scripts/setup.js --browser\` (npm test does)`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      await approveGateInBrowser(browser, spec.id, 'deployment');
    } finally {
      await browser.close();
    }
    status = await harness.waitForPhase(spec.id, 'monitoring', 120_000);
    expect(status.endpoint?.status).toBe('InService');
    expect(status.endpoint?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    expect(status.approvals.every((a) => a.decision === 'approved')).toBe(true);
  });

  test('training-period traffic causes no retraining', async () => {
    const result = await replay({ url: status.endpoint!.url!, bodies: trainingRequests, rate: 50 });
    expect(result.failed).toBe(0);
    status = await harness.waitFor(spec.id, 'a check that saw the traffic', (s) => (s.lastMonitoring?.driftScore ?? -1) >= 0);
    expect(status.lastMonitoring!.driftScore!).toBeLessThan(spec.monitoring.driftThreshold);
    status = await harness.waitFor(spec.id, 'every request counted', (s) => (s.lastMonitoring?.invocationsTotal ?? 0) >= trainingRequests.length);
    expect(status.lastMonitoring!.invocationsTotal).toBe(trainingRequests.length);
    expect(status.retrainings).toHaveLength(0);
  });

  test('later-period drift triggers a retraining', async () => {
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const url = (await harness.status(spec.id)).endpoint?.url;
        if (url) await replay({ url, bodies: laterRequests, rate: 50, shouldStop: () => stop });
        else await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      status = await harness.waitFor(spec.id, 'a retraining', (s) => s.retrainings.length > 0 && s.phase === 'monitoring', 180_000);
    } finally {
      stop = true;
      await traffic;
    }
    const retraining = status.retrainings[0];
    expect(retraining.driftScore).toBeGreaterThanOrEqual(spec.monitoring.driftThreshold);
    expect(['deployed', 'kept-current']).toContain(retraining.outcome);
    expect(status.phaseHistory.map((p) => p.phase)).toContain('retraining');
    expect(status.trainingJobs.filter((j) => j.purpose === 'retraining')).toHaveLength(1);
    if (retraining.outcome === 'deployed') expect(status.endpoint?.configName).toMatch(/config-2$/);
  });

  test('no traffic shuts the endpoint down', async () => {
    status = await harness.waitForPhase(spec.id, 'shut-down', 60_000);
    expect(status.shutdownReason).toMatch(/^idle/);
    expect(await harness.provider.describeEndpoint(status.endpoint!.name)).toBeUndefined();
    const subjects = await harness.waitForSubject(/endpoint shut down/);
    expect(subjects).toContain(`[mlops] ${spec.name}: endpoint shut down`);
  });

  test('redeploy brings the endpoint back', async () => {
    await harness.projects.redeploy(spec.id);
    status = await harness.waitForPhase(spec.id, 'monitoring', 60_000);
    expect(status.endpoint?.status).toBe('InService');
    const ping = await fetch(new URL('/ping', status.endpoint!.url!));
    expect(ping.status).toBe(200);
  });

  test('monitoring continued as new with its state', async () => {
    const runs: string[] = [];
    for await (const execution of harness.client.workflow.list({ query: `WorkflowId = '${projectWorkflowId(spec.id)}'` })) {
      runs.push(execution.runId);
    }
    expect(runs.length).toBeGreaterThan(1);
    status = await harness.status(spec.id);
    expect(status.retrainings).toHaveLength(1);
    expect(status.approvals).toHaveLength(6);
  });

  test('stop closes the project and releases everything', async () => {
    await harness.projects.stop(spec.id, 'test finished');
    status = await harness.waitForPhase(spec.id, 'closed', 60_000);
    expect(status.endpoint?.status).toBe('Deleted');
    expect(await harness.provider.describeEndpoint(status.endpoint!.name)).toBeUndefined();
    expect(processesMentioning(spec.id)).toEqual([]);
    if (process.env.MLOPS_RECORD_HISTORIES) await recordHistory(spec.id);
  });
});
