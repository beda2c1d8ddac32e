/**
 * invokeEndpoint of the local provider, and a load test through it,
 * against a real endpoint host and inference container on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ModelError, ResourceInUseError, ResourceNotFoundError } from '../../../../activities/provider/local';
import { runLoadTest } from '../../../../activities/load-test';
import { TAG_KEYS } from '../../../../domain/constants';
import { FIXTURES, killLeftovers, makeProvider, makeStateDir, waitFor } from './support';

const stateDir = makeStateDir('invoke');
const provider = makeProvider(stateDir);
const tags = { [TAG_KEYS.project]: 'demo' };

afterAll(() => {
  expect(killLeftovers(stateDir)).toEqual([]);
});

/** Creates a model serving `version` (unhealthy: GET /ping fails), its config and an endpoint of both, all named `name`. */
async function startEndpoint(name: string, version: string, options: { unhealthy?: boolean } = {}): Promise<void> {
  const modelDir = path.join(stateDir, 'artifacts', name);
  fs.mkdirSync(modelDir, { recursive: true });
  fs.writeFileSync(path.join(modelDir, 'version.txt'), version);
  if (options.unhealthy) fs.writeFileSync(path.join(modelDir, 'unhealthy'), '');
  await provider.createModel({ name, command: ['node', 'serve-fixture.js'], workingDirectory: FIXTURES, modelArtifacts: modelDir, tags });
  await provider.createEndpointConfig({ name, modelName: name, instanceType: 'ml.m5.large', instanceCount: 1, pricePerHourUsd: 0.115, captureInputs: false, tags });
  await provider.createEndpoint(name, name, tags);
}

async function inService(name: string): Promise<void> {
  await waitFor(() => provider.describeEndpoint(name), (e) => e?.status === 'InService', `${name} to be InService`);
}

test('invoke returns response body', async () => {
  await startEndpoint('invoke-ok', 'v7');
  await inService('invoke-ok');

  const body = await provider.invokeEndpoint('invoke-ok', '{"instances":[{"x":1}]}', 'application/json');

  expect(JSON.parse(body)).toEqual({ version: 'v7' });
  const bad = provider.invokeEndpoint('invoke-ok', 'bad', 'application/json');
  await expect(bad).rejects.toThrow(ModelError);
  await expect(bad).rejects.toMatchObject({ statusCode: 400, message: 'endpoint invoke-ok responded with status 400: {"error":"bad input"}' });
  await provider.deleteEndpoint('invoke-ok');
});

test('load test through provider', async () => {
  await startEndpoint('invoke-load', 'v1');
  await inService('invoke-load');
  const since = new Date(Date.now() - 1000).toISOString();

  const run = await runLoadTest({
    invoke: (body) => provider.invokeEndpoint('invoke-load', body, 'application/json'),
    payloads: ['{"instances":[{"x":1}]}', '{"instances":[{"x":2}]}'],
    requests: 40,
    concurrency: 4,
  });

  expect(run.errors).toBe(0);
  expect(run.requests).toBe(40);
  expect(run.throughputRps).toBeGreaterThan(0);
  // The host records every request it proxied, as CloudWatch counts Invocations.
  const metrics = await provider.getEndpointMetrics('invoke-load', since, new Date(Date.now() + 1000).toISOString());
  expect(metrics.invocations).toBe(40);
  await provider.deleteEndpoint('invoke-load');
});

test('invoke before InService rejected', async () => {
  await startEndpoint('invoke-starting', 'v1', { unhealthy: true });

  await expect(provider.invokeEndpoint('invoke-starting', '{}', 'application/json')).rejects.toThrow(ResourceInUseError);
  await provider.deleteEndpoint('invoke-starting');
});

test('invoke unknown endpoint rejected', async () => {
  await expect(provider.invokeEndpoint('no-such-endpoint', '{}', 'application/json')).rejects.toThrow(ResourceNotFoundError);
});
