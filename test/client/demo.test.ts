/**
 * `mlops demo --approve-as-stakeholders` as a user runs it: the quickstart
 * project's whole life on a fresh embedded stack, ending with exit 0 and a
 * summary that shows every phase, a capped job, a retraining and the idle
 * shutdown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../workers/temporal-server';
import { processesMentioning } from '../support/harness';
import { assertBuildIsCurrent, cliEnv, freePortWithUiPort, runCli } from './cli-process';

jest.setTimeout(10 * 60_000);

interface DemoJson {
  phases: string[];
  approvals: { gate: string; decision: string }[];
  trainingJobs: { instanceType: string; status: string; stopped: boolean; costUsd: number; purpose: string }[];
  retrainings: { outcome: string; driftScore: number }[];
  shutdownReason?: string;
  spendUsd: number;
  budgetUsd: number;
}

test('demo runs the whole lifecycle', async () => {
  assertBuildIsCurrent();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-demo-'));
  const env = cliEnv(home);
  const temporalPort = await freePortWithUiPort();
  const approvalsPort = await freePort();

  const result = await runCli(
    ['demo', '--approve-as-stakeholders', '--json', '--temporal-port', String(temporalPort), '--approvals-port', String(approvalsPort)],
    env,
    8 * 60_000,
  );
  expect(result.stderr).toMatch(/approval link: http:\/\/127\.0\.0\.1:\d+\/approvals\//);
  expect(result.code).toBe(0);

  const summary = JSON.parse(result.stdout) as DemoJson;
  expect(summary.phases).toEqual([
    'requirements-review',
    'cost-review',
    'benchmarking',
    'deployment-review',
    'deploying',
    'monitoring',
    'retraining',
    'shut-down',
    'closed',
  ]);
  expect(summary.approvals.length).toBeGreaterThan(0);
  expect(summary.approvals.every((a) => a.decision === 'approved')).toBe(true);
  expect(summary.trainingJobs.filter((j) => j.stopped).map((j) => j.instanceType)).toEqual(['ml.p3.2xlarge']);
  expect(summary.retrainings.length).toBeGreaterThan(0);
  expect(summary.shutdownReason).toMatch(/^idle/);
  expect(summary.spendUsd).toBeGreaterThan(0);
  expect(summary.spendUsd).toBeLessThan(summary.budgetUsd);

  expect(fs.readdirSync(path.join(home, 'logs')).sort()).toEqual(expect.arrayContaining(['demo.log', 'temporal.log']));
  expect(processesMentioning(home)).toEqual([]);
});
