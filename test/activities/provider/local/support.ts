/**
 * Shared setup of the local provider tests: a temporary state folder, a
 * provider with short timings, polling with a bound, and a check that no
 * process of the state folder is left running.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalProvider, type LocalProvider, type LocalProviderSettings, type ProviderLogger } from '../../../../activities/provider/local';
import * as runtime from '../../../../activities/provider/local/runtime';
import type { TrainingJobRequest } from '../../../../activities/provider/types';
import { TAG_KEYS } from '../../../../domain/constants';

export const FIXTURES = path.join(__dirname, 'fixtures');

export const FAST_SETTINGS: Partial<LocalProviderSettings> = {
  stopGraceSeconds: 1,
  heartbeatSeconds: 0.2,
  ledgerIntervalSeconds: 0.5,
  sampleIntervalMs: 100,
  endpointStartupTimeoutSeconds: 20,
};

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

export function createRecordingLogger(): ProviderLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

export function makeStateDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mlops-local-${label}-`));
}

export function makeProvider(stateDir: string, settings: Partial<LocalProviderSettings> = {}): LocalProvider {
  return createLocalProvider({ stateDir, logger: createRecordingLogger(), settings: { ...FAST_SETTINGS, ...settings } });
}

export function trainingRequest(name: string, overrides: Partial<TrainingJobRequest> = {}): TrainingJobRequest {
  return {
    name,
    command: ['node', path.join(FIXTURES, 'train-fixture.js')],
    workingDirectory: FIXTURES,
    channels: {},
    hyperparameters: {},
    metricDefinitions: [
      { name: 'loss', regex: 'loss=([0-9.]+)' },
      { name: 'validation:accuracy', regex: 'validation:accuracy=([0-9.]+)' },
    ],
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    spot: false,
    maxRuntimeSeconds: 600,
    pricePerHourUsd: 36,
    tags: { [TAG_KEYS.project]: 'demo' },
    ...overrides,
  };
}

/**
 * Polls `read` every 100 ms until `done` accepts its value and returns that
 * value. The bound only keeps a broken test from hanging; it is not a speed
 * requirement.
 */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, boundMs = 60_000): Promise<T> {
  const deadline = Date.now() + boundMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) {
      throw new Error(`gave up waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await runtime.sleep(100);
    value = await read();
  }
  return value;
}

/** Lists processes started for anything under `stateDir` (runners, hosts, commands), by their marker variable. */
export function processesOf(stateDir: string): number[] {
  return runtime.findMarkedProcesses(stateDir, true);
}

/** Kills what a failed test left running and returns the pids it found, so the caller can assert there were none. */
export function killLeftovers(stateDir: string): number[] {
  const pids = processesOf(stateDir);
  for (const pid of pids) runtime.sendSignal(pid, 'SIGKILL');
  return pids;
}

export function readLock(dir: string, prefix: string): { n: number; pid?: number } | undefined {
  const lock = runtime.latestLock(dir, prefix);
  return lock ? { n: lock.n, pid: lock.content.pid } : undefined;
}
