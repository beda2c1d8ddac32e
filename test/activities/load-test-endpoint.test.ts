/**
 * The loadTestEndpoint activity on the real local provider: it measures a
 * real endpoint, and deletes the endpoint and its config whatever step
 * failed, also when the activity is cancelled while it waits.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import type { LoadTestEndpointInput } from '../../activities/contracts';
import type { Mailer } from '../../activities/mail';
import { readLedger, ResourceNotFoundError } from '../../activities/provider/local';
import type { ComputeProvider } from '../../activities/provider/types';
import { createLogger } from '../../client/logger';
import { TAG_KEYS } from '../../domain/constants';
import { loadTestEndpointName } from '../../domain/names';
import { resolvePrice } from '../../domain/prices';
import { makeSpec } from '../domain/fixtures';
import { FIXTURES, killLeftovers, makeProvider, makeStateDir, waitFor } from './provider/local/support';

const stateDir = makeStateDir('load-test-activity');
const provider = makeProvider(stateDir);
const specDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-load-test-spec-'));
fs.writeFileSync(path.join(specDir, 'payloads.jsonl'), '{"instances":[{"x":1}]}\n{"instances":[{"x":2}]}\n');
fs.writeFileSync(path.join(specDir, 'broken.jsonl'), '{"instances":[{"x":1}]}\nnot json\n');

afterAll(() => {
  expect(killLeftovers(stateDir)).toEqual([]);
});

function activitiesWith(computeProvider: ComputeProvider) {
  return createActivities({
    provider: computeProvider,
    // The load test sends no mail.
    mailer: {} as Mailer,
    secret: Buffer.alloc(32, 1),
    publicUrl: 'http://127.0.0.1:8787',
    logger: createLogger('test', { write: () => undefined }),
  });
}

/** A model folder the fixture container serves; `failStart` makes it exit at once, `unhealthy` keeps it from passing GET /ping. */
function modelFolder(name: string, options: { failStart?: boolean; unhealthy?: boolean } = {}): string {
  const dir = path.join(stateDir, 'artifacts', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'version.txt'), name);
  if (options.failStart) fs.writeFileSync(path.join(dir, 'fail-start'), '');
  if (options.unhealthy) fs.writeFileSync(path.join(dir, 'unhealthy'), '');
  return dir;
}

function input(projectId: string, modelArtifacts: string, payloadFile = 'payloads.jsonl'): LoadTestEndpointInput {
  const spec = makeSpec((raw) => {
    raw.id = projectId;
    raw.inference = { command: ['node', path.join(FIXTURES, 'serve-fixture.js')] };
    raw.loadTest = { payloadFile, requests: 30, concurrency: 3 };
  });
  return { spec, specDir, modelArtifacts, instanceType: 'ml.m5.large' };
}

/** Asserts that neither the endpoint nor its config exists any more. */
async function expectDeleted(name: string): Promise<void> {
  expect(await provider.describeEndpoint(name)).toBeUndefined();
  // Creating an endpoint from the config fails once the config is gone.
  await expect(provider.createEndpoint(`${name}-probe`, name, {})).rejects.toThrow(ResourceNotFoundError);
}

test('load test measures then deletes', async () => {
  const name = loadTestEndpointName('load-ok', 'ml.m5.large');

  const result = await activitiesWith(provider).loadTestEndpoint(input('load-ok', modelFolder('load-ok')));

  expect(result).toMatchObject({ instanceType: 'ml.m5.large', requests: 30, errors: 0, concurrency: 3 });
  expect(result.pricePerHourUsd).toBe(resolvePrice({}, 'us-east-1', 'ml.m5.large', 'hosting').pricePerHourUsd);
  expect(result.throughputRps).toBeGreaterThan(0);
  expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p95);
  expect(result.latencyMs.p95).toBeLessThanOrEqual(result.latencyMs.max);
  expect(Date.parse(result.at)).not.toBeNaN();
  await expectDeleted(name);
  // The temporary endpoint billed its seconds to the project under the load-test step.
  const entries = readLedger(stateDir).filter((entry) => entry.resource === name);
  expect(entries.length).toBeGreaterThan(0);
  expect(entries.every((entry) => entry.tags?.[TAG_KEYS.project] === 'load-ok' && entry.tags?.[TAG_KEYS.step] === 'load-test')).toBe(true);
});

test('failed load test deletes endpoint', async () => {
  const name = loadTestEndpointName('load-fails', 'ml.m5.large');
  const invoked: string[] = [];
  const failing: ComputeProvider = {
    ...provider,
    invokeEndpoint: async (endpoint) => {
      invoked.push(endpoint);
      throw new Error('the model process crashed');
    },
  };

  const run = activitiesWith(failing).loadTestEndpoint(input('load-fails', modelFolder('load-fails')));

  await expect(run).rejects.toMatchObject({
    type: 'LoadTestFailed',
    nonRetryable: true,
    message: `all 30 requests of the load test failed; the first error: the model process crashed (endpoint ${name} was deleted)`,
  });
  // The requests reached a real endpoint that was InService.
  expect(invoked).toHaveLength(30);
  await expectDeleted(name);
});

test('failed endpoint start deletes endpoint', async () => {
  const name = loadTestEndpointName('load-broken', 'ml.m5.large');

  const run = activitiesWith(provider).loadTestEndpoint(input('load-broken', modelFolder('load-broken', { failStart: true })));

  await expect(run).rejects.toMatchObject({ type: 'LoadTestEndpointFailed', nonRetryable: true });
  await expect(run).rejects.toThrow(`load-test endpoint ${name} failed:`);
  await expectDeleted(name);
});

test('cancelled wait deletes endpoint', async () => {
  const name = loadTestEndpointName('load-cancel', 'ml.m5.large');
  const environment = new MockActivityEnvironment();
  const activities = activitiesWith(provider);

  const run = environment.run(activities.loadTestEndpoint, input('load-cancel', modelFolder('load-cancel', { unhealthy: true })));
  // The unhealthy container keeps the endpoint Creating, so the activity is still waiting when it is cancelled.
  await waitFor(() => provider.describeEndpoint(name), (endpoint) => endpoint?.status === 'Creating', `${name} to be Creating`);
  environment.cancel();

  await expect(run).rejects.toThrow(CancelledFailure);
  await expectDeleted(name);
});

test('bad payload file creates nothing', async () => {
  const name = loadTestEndpointName('load-bad-file', 'ml.m5.large');

  const run = activitiesWith(provider).loadTestEndpoint(input('load-bad-file', modelFolder('load-bad-file'), 'broken.jsonl'));

  await expect(run).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  await expect(run).rejects.toThrow(`${path.join(specDir, 'broken.jsonl')} line 2 is not valid JSON: not json`);
  expect(fs.existsSync(path.join(stateDir, 'compute', 'endpoints', name))).toBe(false);
  expect(fs.existsSync(path.join(stateDir, 'compute', 'models', `${name}.json`))).toBe(false);
});

test('missing loadTest section rejected', async () => {
  const withoutSection = input('load-none', modelFolder('load-none'));
  delete withoutSection.spec.loadTest;

  const run = activitiesWith(provider).loadTestEndpoint(withoutSection);

  await expect(run).rejects.toMatchObject({ type: 'InvalidInput', nonRetryable: true });
  await expect(run).rejects.toThrow('project load-none has no loadTest section; add loadTest.payloadFile to the spec to load-test ml.m5.large');
});
