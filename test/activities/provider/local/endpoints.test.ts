/**
 * Models, endpoint configs and endpoints of the local provider, served by
 * real detached host processes and real HTTP on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InvalidInputError, ResourceInUseError, readLedger } from '../../../../activities/provider/local';
import * as runtime from '../../../../activities/provider/local/runtime';
import type { EndpointDescription } from '../../../../activities/provider/types';
import { TAG_KEYS } from '../../../../domain/constants';
import { FIXTURES, killLeftovers, makeProvider, makeStateDir, processesOf, readLock, waitFor } from './support';

const stateDir = makeStateDir('endpoints');
const provider = makeProvider(stateDir);
const tags = { [TAG_KEYS.project]: 'demo' };
const endpointDir = (name: string) => path.join(stateDir, 'compute', 'endpoints', name);

afterAll(() => {
  expect(killLeftovers(stateDir)).toEqual([]);
});

/** Creates a model folder serving `version`, its model record and an endpoint config of it. */
async function modelWithConfig(
  name: string,
  version: string,
  options: { failStart?: boolean; unhealthy?: boolean; captureInputs?: boolean } = {},
): Promise<string> {
  const modelDir = path.join(stateDir, 'artifacts', name);
  fs.mkdirSync(modelDir, { recursive: true });
  fs.writeFileSync(path.join(modelDir, 'version.txt'), version);
  if (options.failStart) fs.writeFileSync(path.join(modelDir, 'fail-start'), '');
  if (options.unhealthy) fs.writeFileSync(path.join(modelDir, 'unhealthy'), '');
  await provider.createModel({
    name,
    command: ['node', 'serve-fixture.js'],
    workingDirectory: FIXTURES,
    modelArtifacts: modelDir,
    tags,
  });
  await provider.createEndpointConfig({
    name: `${name}-config`,
    modelName: name,
    instanceType: 'ml.m5.large',
    instanceCount: 2,
    pricePerHourUsd: 36,
    captureInputs: options.captureInputs ?? true,
    tags,
  });
  return `${name}-config`;
}

function describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
  return provider.describeEndpoint(name);
}

/** Waits until the endpoint exists and `done` accepts it. */
async function endpointWhere(name: string, done: (endpoint: EndpointDescription) => boolean, what: string): Promise<EndpointDescription> {
  const endpoint = await waitFor(() => describeEndpoint(name), (e) => e !== undefined && done(e), what);
  return endpoint!;
}

const inService = (name: string, configName: string) =>
  endpointWhere(name, (e) => e.status === 'InService' && e.configName === configName, `${name} to serve ${configName}`);

async function invoke(url: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, json: await response.json() };
}

test('endpoint serves, updates and deletes', async () => {
  const startedAt = new Date(Date.now() - 1000).toISOString();
  const configA = await modelWithConfig('model-a', 'a');
  const configB = await modelWithConfig('model-b', 'b');

  const created = await provider.createEndpoint('lifecycle', configA, tags);
  expect(created.status).toBe('Creating');
  const serving = await inService('lifecycle', configA);
  expect(serving.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${serving.url}/ping`)).status).toBe(200);

  const body = JSON.stringify({ instances: [{ x: 1 }] });
  expect(await invoke(serving.url!, body)).toEqual({ status: 200, json: { version: 'a' } });
  expect(await invoke(serving.url!, 'bad')).toEqual({ status: 400, json: { error: 'bad input' } });

  const windowEnd = new Date(Date.now() + 1000).toISOString();
  const metrics = await provider.getEndpointMetrics('lifecycle', startedAt, windowEnd);
  expect(metrics.invocations).toBe(2);
  expect(metrics.errors).toBe(0);
  expect(metrics.latencyMsAvg).toBeGreaterThan(0);
  expect(metrics.latencyMsMax).toBeGreaterThanOrEqual(metrics.latencyMsAvg!);
  const captured = await provider.getCapturedRequests('lifecycle', startedAt, windowEnd, 10);
  expect(captured.map((request) => request.body)).toEqual([body]);

  const updating = await provider.updateEndpoint('lifecycle', configB);
  expect(updating.status).toBe('Updating');
  expect(updating.configName).toBe(configA);
  const statuses: number[] = [];
  const updated = await waitFor(
    async () => {
      statuses.push((await invoke(serving.url!, body)).status);
      return provider.describeEndpoint('lifecycle');
    },
    (e) => e?.status === 'InService' && e.configName === configB,
    'the update to finish',
  );
  expect(updated?.url).toBe(serving.url);
  expect(new Set(statuses)).toEqual(new Set([200]));
  expect(await invoke(serving.url!, body)).toEqual({ status: 200, json: { version: 'b' } });
  await waitFor(async () => runtime.findMarkedProcesses(`${endpointDir('lifecycle')}#fleet-`, true).length, (n) => n === 1, 'the old container to stop');
  await expect(provider.deleteEndpointConfig(configB)).rejects.toThrow(ResourceInUseError);
  await provider.deleteEndpointConfig(configA);

  await provider.deleteEndpoint('lifecycle');
  expect(await describeEndpoint('lifecycle')).toBeUndefined();
  expect(processesOf(endpointDir('lifecycle'))).toEqual([]);
  await expect(fetch(`${serving.url}/ping`)).rejects.toThrow();
  await provider.deleteEndpoint('lifecycle');

  const hosting = readLedger(stateDir).filter((entry) => entry.resource === 'lifecycle');
  expect(hosting.length).toBeGreaterThan(0);
  expect(hosting.every((entry) => entry.kind === 'hosting' && entry.instanceCount === 2)).toBe(true);
  const spend = await provider.getProjectSpend('demo');
  expect(spend.byResource.lifecycle).toBeGreaterThan(0);
  expect(spend.byResource.lifecycle).toBeCloseTo(hosting.reduce((sum, entry) => sum + entry.usd, 0), 10);

  const afterDelete = await provider.getEndpointMetrics('lifecycle', startedAt, new Date(Date.now() + 1000).toISOString());
  expect(afterDelete.invocations).toBeGreaterThan(2);
  await provider.createEndpointConfig({ name: configB, modelName: 'model-b', instanceType: 'ml.m5.large', instanceCount: 2, pricePerHourUsd: 36, captureInputs: true, tags });
  await provider.deleteEndpointConfig(configB);
});

test('capture off records no bodies', async () => {
  const config = await modelWithConfig('model-quiet', 'q', { captureInputs: false });
  const from = new Date(Date.now() - 1000).toISOString();
  await provider.createEndpoint('quiet', config, tags);
  const endpoint = await inService('quiet', config);
  expect((await invoke(endpoint.url!, '{}')).status).toBe(200);
  const to = new Date(Date.now() + 1000).toISOString();
  expect((await provider.getEndpointMetrics('quiet', from, to)).invocations).toBe(1);
  expect(await provider.getCapturedRequests('quiet', from, to, 10)).toEqual([]);
  await provider.deleteEndpoint('quiet');
});

test('metrics without traffic are zero', async () => {
  const metrics = await provider.getEndpointMetrics('no-traffic', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z');
  expect(metrics).toEqual({ invocations: 0, errors: 0, latencyMsAvg: undefined, latencyMsMax: undefined });
  await expect(provider.getEndpointMetrics('no-traffic', 'yesterday', '2024-01-02T00:00:00Z')).rejects.toThrow(InvalidInputError);
});

test('container exiting fails the endpoint', async () => {
  const config = await modelWithConfig('model-broken', 'x', { failStart: true });
  await provider.createEndpoint('broken', config, tags);
  const endpoint = await endpointWhere('broken', (e) => e.status === 'Failed', 'the endpoint to fail');
  expect(endpoint.failureReason).toContain('exited with code 4');
  expect(endpoint.failureReason).toContain('cannot load the model: fail-start is set');
  await waitFor(async () => processesOf(endpointDir('broken')).length, (n) => n === 0, 'the failed host to exit');
  expect((await describeEndpoint('broken'))?.status).toBe('Failed');
  await provider.deleteEndpoint('broken');
  expect(await describeEndpoint('broken')).toBeUndefined();
});

test('container never healthy fails the endpoint', async () => {
  const impatient = makeProvider(stateDir, { endpointStartupTimeoutSeconds: 1 });
  const config = await modelWithConfig('model-unhealthy', 'u', { unhealthy: true });
  await impatient.createEndpoint('unhealthy', config, tags);
  const endpoint = await endpointWhere('unhealthy', (e) => e.status === 'Failed', 'the endpoint to fail');
  expect(endpoint.failureReason).toContain('did not return 200 on GET /ping within 1 s');
  await waitFor(async () => processesOf(endpointDir('unhealthy')).length, (n) => n === 0, 'the failed host to exit');
  await impatient.deleteEndpoint('unhealthy');
});

test('failed update keeps the old config', async () => {
  const good = await modelWithConfig('model-good', 'good');
  const bad = await modelWithConfig('model-bad', 'bad', { failStart: true });
  await provider.createEndpoint('rollback', good, tags);
  const serving = await inService('rollback', good);
  await provider.updateEndpoint('rollback', bad);
  const after = await endpointWhere('rollback', (e) => e.status === 'InService' && e.failureReason !== undefined, 'the update to fail');
  expect(after.configName).toBe(good);
  expect(after.failureReason).toContain(`update to endpoint config ${bad} failed`);
  expect(await invoke(serving.url!, '{}')).toEqual({ status: 200, json: { version: 'good' } });
  await provider.updateEndpoint('rollback', bad);
  expect((await describeEndpoint('rollback'))?.status).toBe('InService');

  const lock = readLock(endpointDir('rollback'), 'host')!;
  process.kill(lock.pid!, 'SIGKILL');
  await waitFor(async () => runtime.isOwnProcess(lock.pid, 'endpoint-host.js', [stateDir, 'rollback', 1]), (alive) => !alive, 'the host to die');
  await describeEndpoint('rollback');
  const restarted = await inService('rollback', good);
  expect(await invoke(restarted.url!, '{}')).toEqual({ status: 200, json: { version: 'good' } });
  await provider.deleteEndpointConfig(bad);
  await expect(provider.deleteEndpointConfig(good)).rejects.toThrow(ResourceInUseError);
  await provider.deleteEndpoint('rollback');
});

test('dead host restarts the endpoint', async () => {
  const config = await modelWithConfig('model-restart', 'r');
  await provider.createEndpoint('restarts', config, tags);
  const before = await inService('restarts', config);
  const lock = readLock(endpointDir('restarts'), 'host')!;
  const container = runtime.findMarkedProcesses(`${endpointDir('restarts')}#fleet-`, true);
  expect(container).toHaveLength(1);
  process.kill(lock.pid!, 'SIGKILL');
  await waitFor(async () => runtime.isOwnProcess(lock.pid, 'endpoint-host.js', [stateDir, 'restarts', 1]), (alive) => !alive, 'the host to die');

  const restarting = await describeEndpoint('restarts');
  expect(readLock(endpointDir('restarts'), 'host')?.n).toBe(2);
  expect(runtime.findMarkedProcesses(`${endpointDir('restarts')}#`, true)).not.toContain(container[0]);
  expect(restarting?.status).not.toBe('Failed');

  const after = await inService('restarts', config);
  expect(after.url).toBe(before.url);
  expect(await invoke(after.url!, '{}')).toEqual({ status: 200, json: { version: 'r' } });
  await provider.deleteEndpoint('restarts');
  expect(processesOf(endpointDir('restarts'))).toEqual([]);
});

test('same endpoint name twice starts one host', async () => {
  const config = await modelWithConfig('model-twice', 't');
  const other = makeProvider(stateDir);
  await Promise.all([provider.createEndpoint('twice', config, tags), other.createEndpoint('twice', config, tags)]);
  await inService('twice', config);
  expect(readLock(endpointDir('twice'), 'host')?.n).toBe(1);
  expect(runtime.findMarkedProcesses(`${endpointDir('twice')}#host-`, true)).toHaveLength(1);
  expect(runtime.findMarkedProcesses(`${endpointDir('twice')}#fleet-`, true)).toHaveLength(1);
  await provider.deleteEndpoint('twice');
});

test('endpoint calls validate their inputs', async () => {
  await expect(provider.createEndpoint('no-config', 'missing-config', tags)).rejects.toThrow('endpoint config missing-config not found');
  await expect(provider.createEndpointConfig({ name: 'orphan', modelName: 'missing-model', instanceType: 'ml.m5.large', instanceCount: 1, pricePerHourUsd: 1, captureInputs: false, tags })).rejects.toThrow(
    'model missing-model of endpoint config orphan not found',
  );
  await expect(provider.createModel({ name: 'no-artifacts', command: ['node'], workingDirectory: FIXTURES, modelArtifacts: 'nowhere', tags })).rejects.toThrow(InvalidInputError);
  await expect(provider.updateEndpoint('never-created', 'model-good-config')).rejects.toThrow('endpoint never-created not found');
  expect(await describeEndpoint('never-created')).toBeUndefined();
  await provider.deleteEndpoint('never-created');
});
