/**
 * The loadTestEndpoint activity: a temporary endpoint of one instance of
 * one hosting type, a short load test against it, and its deletion. The
 * endpoint bills every second it exists, so it and its config are deleted
 * whatever step failed, also when the activity is cancelled.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../client/logger';
import { MANAGED_BY_VALUE, TAG_KEYS } from '../domain/constants';
import { loadTestEndpointName } from '../domain/names';
import { PriceNotFoundError, resolvePrice, type PriceTable } from '../domain/prices';
import type { LoadTestResult } from '../domain/status';
import type { LoadTestEndpointInput } from './contracts';
import { LoadTestFailedError, parsePayloadLines, runLoadTest } from './load-test';
import type { ComputeProvider, EndpointDescription } from './provider/types';

export interface LoadTestDependencies {
  /** The provider of the project's spec. */
  provider: ComputeProvider;
  logger: Logger;
  priceTable?: PriceTable;
  now?: () => Date;
  /** Seconds between endpoint status checks; 0.5 for the local provider and 15 otherwise by default. */
  pollSeconds?: number;
}

/** Default bound on the wait for InService, in seconds: the same 15 minutes the project workflow allows its own endpoint. */
export const LOAD_TEST_READY_TIMEOUT_SECONDS = 15 * 60;

/** Content type of the request bodies: each payload line is JSON. */
const PAYLOAD_CONTENT_TYPE = 'application/json';

/**
 * Creates the temporary model, endpoint config and endpoint, waits for
 * InService, runs the load test and deletes the endpoint and its config.
 * The model stays: it bills nothing, and the provider interface has no
 * call to delete it.
 * NOTE: because creates are idempotent by name, a later load test of the
 * same project and type adopts that model and serves its artifacts, not
 * `input.modelArtifacts`.
 *
 * Input problems (no loadTest section, an unreadable payload file, an
 * unknown price) fail before anything is created, as non-retryable
 * InvalidInput failures. An endpoint that ends Failed or does not come
 * InService in time, and a test in which every request failed, are
 * non-retryable too. A failed deletion is raised as a retryable error.
 */
export async function loadTestEndpoint(deps: LoadTestDependencies, input: LoadTestEndpointInput): Promise<LoadTestResult> {
  const { spec, specDir, instanceType } = input;
  const settings = spec.loadTest;
  if (!settings) {
    throw invalidInput(`project ${spec.id} has no loadTest section; add loadTest.payloadFile to the spec to load-test ${instanceType}`);
  }
  const payloads = readPayloadFile(path.resolve(specDir, settings.payloadFile));
  const pricePerHourUsd = hostingPrice(deps, input);
  const name = endpointNameFor(spec.id, instanceType);
  const now = deps.now ?? (() => new Date());
  const pollMs = (deps.pollSeconds ?? (deps.provider.name === 'local' ? 0.5 : 15)) * 1000;
  const ids = { projectId: spec.id, endpoint: name, instanceType };

  let result: LoadTestResult | undefined;
  let failure: unknown;
  try {
    await createEndpoint(deps.provider, input, name, pricePerHourUsd);
    deps.logger.info(ids, 'load-test endpoint created');
    await waitInService(deps.provider, name, (input.readyTimeoutSeconds ?? LOAD_TEST_READY_TIMEOUT_SECONDS) * 1000, pollMs);

    const run = await runLoadTest({
      invoke: async (body) => {
        try {
          return await deps.provider.invokeEndpoint(name, body, PAYLOAD_CONTENT_TYPE);
        } finally {
          heartbeat('load test');
        }
      },
      payloads,
      requests: settings.requests,
      concurrency: settings.concurrency,
      signal: activityContext()?.cancellationSignal,
    });
    result = {
      instanceType,
      pricePerHourUsd,
      requests: run.requests,
      errors: run.errors,
      concurrency: settings.concurrency,
      durationSeconds: run.durationSeconds,
      throughputRps: run.throughputRps,
      latencyMs: run.latencyMs,
      at: now().toISOString(),
    };
    deps.logger.info({ ...ids, errors: run.errors, throughputRps: run.throughputRps, latencyMsP95: run.latencyMs.p95 }, 'load test finished');
    if (run.firstError) deps.logger.warn({ ...ids, errors: run.errors, firstError: run.firstError }, 'some load-test requests failed');
  } catch (err) {
    failure = err;
    deps.logger.error({ ...ids, err }, 'load test failed; deleting its endpoint');
  }

  await deleteEndpointAndConfig(deps, name, pollMs, failure);
  if (failure !== undefined) throw classifyFailure(failure, name);
  return result!;
}

function readPayloadFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw invalidInput(`cannot read the load-test payload file ${file}: ${code}; check loadTest.payloadFile, which is relative to the spec's folder`, err);
  }
  try {
    return parsePayloadLines(text, file);
  } catch (err) {
    throw invalidInput((err as Error).message, err);
  }
}

function endpointNameFor(projectId: string, instanceType: string): string {
  try {
    return loadTestEndpointName(projectId, instanceType);
  } catch (err) {
    throw invalidInput((err as Error).message, err);
  }
}

function hostingPrice(deps: LoadTestDependencies, input: LoadTestEndpointInput): number {
  try {
    return resolvePrice(input.spec.prices, input.spec.region, input.instanceType, 'hosting', false, deps.priceTable).pricePerHourUsd;
  } catch (err) {
    if (err instanceof PriceNotFoundError) throw invalidInput(err.message, err);
    throw err;
  }
}

async function createEndpoint(provider: ComputeProvider, input: LoadTestEndpointInput, name: string, pricePerHourUsd: number): Promise<void> {
  const { spec, specDir } = input;
  const tags = { [TAG_KEYS.project]: spec.id, [TAG_KEYS.step]: 'load-test', [TAG_KEYS.managedBy]: MANAGED_BY_VALUE };
  const command = typeof spec.inference.command === 'string' ? ['sh', '-c', spec.inference.command] : spec.inference.command;
  await provider.createModel({ name, command, workingDirectory: specDir, modelArtifacts: input.modelArtifacts, tags });
  await provider.createEndpointConfig({
    name,
    modelName: name,
    instanceType: input.instanceType,
    instanceCount: 1,
    pricePerHourUsd,
    // Load-test requests are not production traffic, so they must not count towards drift.
    captureInputs: false,
    tags,
  });
  await provider.createEndpoint(name, name, tags);
}

async function waitInService(provider: ComputeProvider, name: string, timeoutMs: number, pollMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const endpoint: EndpointDescription | undefined = await provider.describeEndpoint(name);
    heartbeat(endpoint?.status ?? 'missing');
    if (!endpoint) throw new LoadTestEndpointError(`load-test endpoint ${name} disappeared while it was being created`);
    if (endpoint.status === 'InService') return;
    if (endpoint.status === 'Failed') {
      throw new LoadTestEndpointError(`load-test endpoint ${name} failed: ${endpoint.failureReason ?? 'no reason given'}`);
    }
    if (Date.now() >= deadline) {
      throw new LoadTestEndpointError(`load-test endpoint ${name} was still ${endpoint.status} after ${Math.round(timeoutMs / 1000)} s`);
    }
    await sleep(pollMs);
  }
}

/**
 * Deletes the endpoint, then its config. SageMaker rejects the deletion of
 * an endpoint that is still Creating, so a ResourceInUse rejection is
 * retried until the endpoint can be deleted, within the same bound as the
 * wait for InService.
 */
async function deleteEndpointAndConfig(deps: LoadTestDependencies, name: string, pollMs: number, earlierFailure: unknown): Promise<void> {
  const deadline = Date.now() + LOAD_TEST_READY_TIMEOUT_SECONDS * 1000;
  try {
    for (;;) {
      try {
        await deps.provider.deleteEndpoint(name);
        break;
      } catch (err) {
        if ((err as Error).name !== 'ResourceInUse' || Date.now() >= deadline) throw err;
        heartbeat('deleting');
        await plainSleep(pollMs);
      }
    }
    await deps.provider.deleteEndpointConfig(name);
    deps.logger.info({ endpoint: name }, 'load-test endpoint and config deleted');
  } catch (err) {
    deps.logger.error({ endpoint: name, err }, 'deleting the load-test endpoint failed; it may still bill');
    const after = earlierFailure === undefined ? '' : ` after the load test failed (${(earlierFailure as Error).message ?? String(earlierFailure)})`;
    throw new Error(`deleting load-test endpoint ${name} and its config failed${after}: ${(err as Error).message}; delete it by hand if a retry does not`, {
      cause: err,
    });
  }
}

/** The temporary endpoint could not be brought into service. */
class LoadTestEndpointError extends Error {
  override readonly name = 'LoadTestEndpointFailed';
}

/** Turns the failures a retry cannot fix into non-retryable Temporal failures; others stay retryable. */
function classifyFailure(err: unknown, name: string): unknown {
  if (err instanceof LoadTestEndpointError || err instanceof LoadTestFailedError) {
    return ApplicationFailure.create({ message: `${err.message} (endpoint ${name} was deleted)`, type: err.name, nonRetryable: true, cause: err });
  }
  return err;
}

function invalidInput(message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'InvalidInput', nonRetryable: true, cause: cause instanceof Error ? cause : undefined });
}

/** Returns the Temporal activity context, or undefined when the function runs outside an activity (as in unit tests). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function heartbeat(step: string): void {
  activityContext()?.heartbeat({ step });
}

/** Waits `ms`; inside an activity the wait ends early with a CancelledFailure when the activity is cancelled. */
function sleep(ms: number): Promise<void> {
  const context = activityContext();
  return context ? context.sleep(ms) : plainSleep(ms);
}

/** Waits `ms` without watching for cancellation, because the deletion must go on after the activity was cancelled. */
function plainSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
