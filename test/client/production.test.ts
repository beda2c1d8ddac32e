/**
 * The two production processes, `mlops worker` and `mlops approvals serve`,
 * run alone against a Temporal server, as the compose stack runs them, and
 * stop cleanly on SIGTERM.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../workers/temporal-server';
import { assertBuildIsCurrent, CliProcess, cliEnv, runCli, waitForCliStatus } from './cli-process';

jest.setTimeout(3 * 60_000);

function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through jest, whose global setup starts the dev server');
  return address;
}

async function waitForStderr(child: CliProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.stderr)) {
    if (!child.running || Date.now() > deadline) {
      throw new Error(`expected ${pattern} on stderr; running: ${child.running}\nstderr: ${child.stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(() => assertBuildIsCurrent());

test('approval server runs alone', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-approvals-'));
  const port = await freePort();
  const server = new CliProcess(['approvals', 'serve', '--port', String(port)], cliEnv(home, temporalAddress()));
  try {
    await waitForStderr(server, /approval server listening/, 30_000);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
  } finally {
    const exit = await server.stop('SIGTERM', 15_000);
    expect(exit).toEqual({ code: 0, signal: null });
  }
});

test('worker runs a project alone', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-worker-'));
  // A task queue of its own, so this worker takes no other test's tasks.
  const env = { ...cliEnv(home, temporalAddress()), MLOPS_TASK_QUEUE: `production-test-${process.pid}` };
  const worker = new CliProcess(['worker'], env);
  const projectId = `alone-${Date.now().toString(36)}`;
  try {
    await waitForStderr(worker, /worker started/, 60_000);
    const start = await runCli(['project', 'start', 'examples/quickstart/project.yaml', '--id', projectId], env);
    expect(start.code).toBe(0);

    // The review e-mails come from the worker's activities, so they show it runs the workflow.
    await waitForCliStatus(projectId, env, 'requirements approvals requested', (s) => s.pendingGate === 'requirements', 60_000);
    const outbox = path.join(home, 'outbox');
    const deadline = Date.now() + 30_000;
    while ((fs.existsSync(outbox) ? fs.readdirSync(outbox).length : 0) < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(2);

    expect((await runCli(['project', 'stop', projectId], env)).code).toBe(0);
    await waitForCliStatus(projectId, env, 'closed', (s) => s.phase === 'closed', 60_000);
  } finally {
    const exit = await worker.stop('SIGTERM', 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
  }
});
