/**
 * `mlops dev` as a real child process on its own ports and state folder.
 * It starts the Temporal dev server, the worker and the approval server, and
 * stops them all on SIGINT. A restart on the same state folder carries on a
 * project whose benchmark jobs were running, without a second job per
 * candidate. The jest Temporal server is not used here.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { EXIT } from '../../domain/constants';
import type { ProjectStatus } from '../../domain/status';
import { freePort } from '../../workers/temporal-server';
import { processesMentioning, QUICKSTART_DIR } from '../support/harness';
import { assertBuildIsCurrent, CliProcess, cliEnv, freePortWithUiPort, isListening, runCli, waitForCliStatus } from './cli-process';

/** Seconds each benchmark job sleeps before training, so the jobs still run when `mlops dev` is interrupted. */
const SLEEP_SECONDS = 12;
/** Bound on start-up, which bundles the workflow code and starts the Temporal server. */
const READY_TIMEOUT_MS = 90_000;
/** Bound on the shutdown after SIGINT; the Temporal server gets 10 s after SIGTERM before SIGKILL. */
const STOP_TIMEOUT_MS = 30_000;

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-'));
const specDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-spec-'));
const projectId = `dev-${Date.now().toString(36)}`;
const approvers = {
  requirements: ['bea@example.com', 'dana@example.com'],
  cost: ['bea@example.com', 'max@example.com'],
};

/** Candidates of the quickstart benchmark, as `instanceType` plus ' spot' for spot candidates. */
let candidates: string[];
let temporalPort: number;
let approvalsPort: number;
let env: NodeJS.ProcessEnv;
let dev: CliProcess | undefined;

/**
 * Writes a copy of the quickstart spec into `specDir`, with absolute paths
 * for its commands and channels and a longer sleep in each training job.
 */
function writeSlowQuickstart(): string {
  const spec = parse(fs.readFileSync(path.join(QUICKSTART_DIR, 'project.yaml'), 'utf8'));
  const local = (relative: string) => path.join(QUICKSTART_DIR, relative);
  spec.training.command = ['node', local('train.js')];
  spec.training.channels = { train: local('data/train') };
  spec.training.hyperparameters.sleepSeconds = SLEEP_SECONDS;
  spec.retraining.channels = { train: local('data/recent') };
  spec.inference.command = ['node', local('serve.js')];
  candidates = (spec.training.candidates as { instanceType: string; spot?: boolean }[]).map((c) => candidateKey(c.instanceType, c.spot));
  const file = path.join(specDir, 'project.yaml');
  fs.writeFileSync(file, stringify(spec));
  return file;
}

function candidateKey(instanceType: string, spot: boolean | undefined): string {
  return spot ? `${instanceType} spot` : instanceType;
}

function startDev(): CliProcess {
  return new CliProcess(['dev', '--temporal-port', String(temporalPort), '--approvals-port', String(approvalsPort)], cliEnv(home));
}

/** Waits until no process mentions `needle` in its command line; returns those still left at the deadline. */
async function waitForNoProcess(needle: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let left = processesMentioning(needle);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = processesMentioning(needle);
  }
  return left;
}

/** Fetches `url` until it responds, for servers that open their port a moment after the ready line. */
async function fetchWhenUp(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${url} did not respond within ${timeoutMs / 1000} s`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function logTail(): string {
  const dir = path.join(home, 'logs');
  if (!fs.existsSync(dir)) return 'no logs folder';
  return fs
    .readdirSync(dir)
    .map((file) => `--- ${file}\n${fs.readFileSync(path.join(dir, file), 'utf8').slice(-2000)}`)
    .join('\n');
}

async function approveGate(gate: keyof typeof approvers): Promise<void> {
  await waitForCliStatus(projectId, env, `the ${gate} gate`, (s) => s.pendingGate === gate, 60_000);
  for (const email of approvers[gate]) {
    const result = await runCli(['project', 'approve', projectId, '--gate', gate, '--as', email], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
  }
}

beforeAll(async () => {
  assertBuildIsCurrent();
  temporalPort = await freePortWithUiPort();
  do approvalsPort = await freePort();
  while (approvalsPort === temporalPort || approvalsPort === temporalPort + 1000);
  env = cliEnv(home, `127.0.0.1:${temporalPort}`);
});

afterAll(async () => {
  if (dev?.running) await dev.stop('SIGKILL', 5_000);
  // Processes this test started under its state folder, such as training job runners, if a test failed midway.
  for (const line of processesMentioning(home)) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      // It ended meanwhile.
    }
  }
});

describe('mlops dev', () => {
  test('prints ready and serves', async () => {
    dev = startDev();
    await dev.waitForLine(/ready/, READY_TIMEOUT_MS).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logTail()}`);
    });

    const uiLine = await dev.waitForLine(/^Temporal UI\s+http:/, 1_000);
    const uiUrl = uiLine.replace(/^Temporal UI\s+/, '').trim();
    expect(uiUrl).toBe(`http://127.0.0.1:${temporalPort + 1000}`);
    const ui = await fetchWhenUp(uiUrl, 30_000);
    expect(ui.status).toBe(200);
    await ui.arrayBuffer();

    const approvalsLine = await dev.waitForLine(/^approval server\s+http:/, 1_000);
    const approvalsUrl = approvalsLine.replace(/^approval server\s+/, '').trim();
    expect(approvalsUrl).toBe(`http://127.0.0.1:${approvalsPort}`);
    const health = await fetch(`${approvalsUrl}/healthz`);
    expect(health.status).toBe(200);
    await health.text();

    const outboxLine = await dev.waitForLine(/^mail outbox\s+/, 1_000);
    expect(outboxLine.replace(/^mail outbox\s+/, '').trim()).toBe(path.join(home, 'outbox'));
  }, READY_TIMEOUT_MS + 40_000);

  test('benchmark jobs start after approvals', async () => {
    const started = await runCli(['project', 'start', writeSlowQuickstart(), '--id', projectId], env);
    expect(started.stderr).toBe('');
    expect(started.code).toBe(EXIT.ok);

    await approveGate('requirements');
    await approveGate('cost');

    // A candidate priced far above the cap may already be stopped; none may have completed yet.
    const status = await waitForCliStatus(
      projectId,
      env,
      'a job per candidate, running',
      (s) =>
        s.trainingJobs.length === candidates.length &&
        s.trainingJobs.some((j) => j.status === 'InProgress') &&
        !s.trainingJobs.some((j) => j.status === 'Completed'),
      60_000,
    );
    expect(status.phase).toBe('benchmarking');
  }, 150_000);

  test('SIGINT stops dev and Temporal', async () => {
    // The Temporal server is the one process whose command line names the database in the state folder.
    const database = path.join(home, 'temporal.sqlite');
    expect(processesMentioning(database)).toHaveLength(1);

    const result = await dev!.stop('SIGINT', STOP_TIMEOUT_MS);

    expect(result).toEqual({ code: EXIT.ok, signal: null });
    expect(dev!.stdout).toMatch(/received SIGINT, stopping/);
    expect(await waitForNoProcess(database, 5_000)).toEqual([]);
    expect(await isListening(temporalPort)).toBe(false);
    expect(await isListening(approvalsPort)).toBe(false);
  }, STOP_TIMEOUT_MS + 10_000);

  test('restart finishes benchmark without duplicates', async () => {
    dev = startDev();
    await dev.waitForLine(/ready/, READY_TIMEOUT_MS).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logTail()}`);
    });

    const status: ProjectStatus = await waitForCliStatus(projectId, env, 'phase deployment-review', (s) => s.phase === 'deployment-review', 120_000);

    expect(status.trainingJobs.every((j) => j.purpose === 'benchmark')).toBe(true);
    expect(status.trainingJobs.map((j) => candidateKey(j.instanceType, j.spot)).sort()).toEqual([...candidates].sort());
    for (const job of status.trainingJobs) {
      expect(`${job.name} ${job.status}`).toMatch(job.stopped ? / Stopped$/ : / Completed$/);
    }
    expect(status.trainingJobs.filter((j) => j.status === 'Completed').length).toBeGreaterThan(0);
    const folders = fs.readdirSync(path.join(home, 'compute', 'training-jobs')).sort();
    expect(folders).toEqual(status.trainingJobs.map((j) => j.name).sort());
  }, READY_TIMEOUT_MS + 130_000);

  test('stop closes and leaves no process', async () => {
    const stopped = await runCli(['project', 'stop', projectId], env);
    expect(stopped.code).toBe(EXIT.ok);
    const status = await waitForCliStatus(projectId, env, 'phase closed', (s) => s.phase === 'closed', 60_000);
    expect(status.endpoint).toBeUndefined();

    const result = await dev!.stop('SIGINT', STOP_TIMEOUT_MS);
    expect(result).toEqual({ code: EXIT.ok, signal: null });
    expect(await waitForNoProcess(home, 10_000)).toEqual([]);
  }, 60_000 + STOP_TIMEOUT_MS + 20_000);
});

describe('mlops dev start-up', () => {
  const startupHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-startup-'));

  afterAll(() => {
    for (const line of processesMentioning(startupHome)) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        // It ended meanwhile.
      }
    }
  });

  test('busy UI port is named', async () => {
    const port = await freePortWithUiPort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port + 1000, '127.0.0.1', resolve));
    try {
      const result = await runCli(['dev', '--temporal-port', String(port), '--approvals-port', String(await freePort())], cliEnv(startupHome));

      expect(result.code).toBe(EXIT.failure);
      expect(result.stderr).toContain(`port ${port + 1000} on 127.0.0.1 (the Temporal UI port) is already in use`);
      expect(processesMentioning(startupHome)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('temporal port without UI port exits 2', async () => {
    const result = await runCli(['dev', '--temporal-port', '65000'], cliEnv(startupHome));
    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toMatch(/--temporal-port 65000 leaves no port for the Temporal UI/);
  });

  test('SIGINT during start-up leaves nothing', async () => {
    const port = await freePortWithUiPort();
    let approvals = await freePort();
    while (approvals === port || approvals === port + 1000) approvals = await freePort();
    const starting = new CliProcess(['dev', '--temporal-port', String(port), '--approvals-port', String(approvals)], cliEnv(startupHome));
    const database = path.join(startupHome, 'temporal.sqlite');
    const deadline = Date.now() + 30_000;
    while (processesMentioning(database).length === 0 && starting.running && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(processesMentioning(database)).toHaveLength(1);

    const result = await starting.stop('SIGINT', READY_TIMEOUT_MS);

    expect(result).toEqual({ code: EXIT.ok, signal: null });
    expect(await waitForNoProcess(startupHome, 5_000)).toEqual([]);
    expect(starting.stdout).toMatch(/received SIGINT while starting, stopping/);
    expect(starting.stdout).not.toMatch(/is ready/);
  }, READY_TIMEOUT_MS + 40_000);
});
