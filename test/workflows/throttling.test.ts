/**
 * Throttling never fails a workflow: an activity that AWS keeps throttling
 * beyond every attempt of the retry policy is scheduled again, while any
 * other persistent failure still fails the workflow once the policy gives
 * up. Runs on the time-skipping test server (temporal-test-server from
 * .venv), so the minutes of backoff pass at once.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { installQuietRuntime, REPO_ROOT } from '../support/harness';
import { describeOnce } from './fixtures/throttled-workflows';

jest.setTimeout(3 * 60_000);

const TEST_SERVER = path.join(REPO_ROOT, '.venv', 'bin', 'temporal-test-server');
let env: TestWorkflowEnvironment;
let workflowBundle: { code: string };

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEST_SERVER } } });
  workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/throttled-workflows'), logger: quietLogger() });
});
afterAll(() => env?.teardown());

function quietLogger() {
  const nothing = () => undefined;
  return { log: nothing, trace: nothing, debug: nothing, info: nothing, warn: nothing, error: nothing };
}

async function run(describeEndpoint: () => Promise<unknown>): Promise<string> {
  const taskQueue = `throttling-${Math.random().toString(36).slice(2)}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle,
    activities: { describeEndpoint },
  });
  return worker.runUntil(env.client.workflow.execute(describeOnce, { taskQueue, workflowId: taskQueue, args: ['churn-endpoint'] }));
}

test('throttling past every retry still succeeds', async () => {
  let calls = 0;
  const result = await run(async () => {
    calls += 1;
    // The retry policy allows 10 attempts, so 25 throttled calls span three rounds of the unbounded wrapper.
    if (calls <= 25) throw ApplicationFailure.retryable('Rate exceeded', 'Throttled');
    return { name: 'churn-endpoint', status: 'InService', configName: 'churn-config-1' };
  });

  expect(result).toBe('InService');
  expect(calls).toBe(26);
});

test('other persistent failures still fail', async () => {
  let calls = 0;
  const attempt = run(async () => {
    calls += 1;
    throw ApplicationFailure.retryable('connection refused', 'NetworkError');
  });

  await expect(attempt).rejects.toBeInstanceOf(WorkflowFailedError);
  expect(calls).toBe(10);
});
