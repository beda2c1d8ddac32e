/**
 * Shared parts of the local provider: the state folder layout, settings,
 * clock and logger, and the checks of request fields.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NAME_PATTERN } from '../../../domain/names';
import { InvalidInputError } from './errors';

/** The subset of pino's interface the provider logs through. */
export interface ProviderLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Timing settings; the defaults suit a laptop, tests shorten them. */
export interface LocalProviderSettings {
  /** Seconds between SIGTERM and SIGKILL when a training job or inference container is stopped (SageMaker waits 30 s for containers). */
  stopGraceSeconds: number;
  /** Seconds between status writes of a running job or endpoint; also the most billed time a crash can lose. */
  heartbeatSeconds: number;
  /** Seconds between usage-ledger entries of a running job or endpoint, so spend shows up while it runs. */
  ledgerIntervalSeconds: number;
  /** Milliseconds between CPU and memory samples of a training job's processes. */
  sampleIntervalMs: number;
  /** Seconds an inference container has to return 200 on GET /ping before the endpoint (or its update) fails. */
  endpointStartupTimeoutSeconds: number;
  /** Runner processes one training job may use, counting restarts after the runner died; then the job fails. */
  maxJobAttempts: number;
  /** Endpoint host starts in a row that may end before the endpoint reaches InService; then it fails. */
  maxEndpointStarts: number;
}

export const DEFAULT_SETTINGS: LocalProviderSettings = {
  stopGraceSeconds: 10,
  heartbeatSeconds: 1,
  ledgerIntervalSeconds: 60,
  sampleIntervalMs: 250,
  endpointStartupTimeoutSeconds: 120,
  maxJobAttempts: 3,
  maxEndpointStarts: 3,
};

export interface ProviderContext {
  stateDir: string;
  clock: () => Date;
  logger: ProviderLogger;
  settings: LocalProviderSettings;
  layout: StateLayout;
}

/** Paths of each kind of state under the state folder. */
export class StateLayout {
  constructor(readonly stateDir: string) {}

  get computeDir(): string {
    return path.join(this.stateDir, 'compute');
  }

  jobDir(name: string): string {
    return path.join(this.computeDir, 'training-jobs', name);
  }

  modelFile(name: string): string {
    return path.join(this.computeDir, 'models', `${name}.json`);
  }

  configFile(name: string): string {
    return path.join(this.computeDir, 'endpoint-configs', `${name}.json`);
  }

  get endpointsDir(): string {
    return path.join(this.computeDir, 'endpoints');
  }

  endpointDir(name: string): string {
    return path.join(this.endpointsDir, name);
  }

  /** Invocation records and captured requests; like CloudWatch data, they outlive the endpoint. */
  endpointDataDir(name: string): string {
    return path.join(this.computeDir, 'endpoint-data', name);
  }

  /** Folders of deleted endpoints, kept for their logs. */
  deletedEndpointDir(name: string, at: Date): string {
    return path.join(this.computeDir, 'deleted-endpoints', `${name}-${at.toISOString().replace(/[:.]/g, '')}`);
  }
}

/** Checks a resource name against SageMaker's pattern, which also keeps it safe as a folder name. */
export function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InvalidInputError(
      `${kind} name ${JSON.stringify(name)} is invalid; expected 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  }
  return name;
}

export function checkCommand(kind: string, command: unknown): string[] {
  if (!Array.isArray(command) || command.length === 0 || !command.every((part) => typeof part === 'string' && part.length > 0)) {
    throw new InvalidInputError(`${kind} command ${JSON.stringify(command)} is invalid; expected a non-empty array of non-empty strings, such as ["node", "train.js"]`);
  }
  return command as string[];
}

export function checkFolder(kind: string, folder: unknown): string {
  if (typeof folder !== 'string' || folder.length === 0) {
    throw new InvalidInputError(`${kind} ${JSON.stringify(folder)} is invalid; expected the path of an existing folder`);
  }
  const resolved = path.resolve(folder);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) {
    throw new InvalidInputError(`${kind} ${resolved} is not an existing folder; create it or fix the path`);
  }
  return resolved;
}

export function checkTags(tags: unknown): Record<string, string> {
  if (tags === null || typeof tags !== 'object' || !Object.values(tags).every((value) => typeof value === 'string')) {
    throw new InvalidInputError(`tags ${JSON.stringify(tags)} are invalid; expected an object of string values`);
  }
  return { ...(tags as Record<string, string>) };
}

export function checkInstances(instanceType: unknown, instanceCount: unknown, pricePerHourUsd: unknown): void {
  if (typeof instanceType !== 'string' || !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(instanceType)) {
    throw new InvalidInputError(`instance type ${JSON.stringify(instanceType)} is invalid; expected a SageMaker instance type such as ml.m5.large`);
  }
  if (typeof instanceCount !== 'number' || !Number.isInteger(instanceCount) || instanceCount < 1) {
    throw new InvalidInputError(`instance count ${JSON.stringify(instanceCount)} is invalid; expected an integer of 1 or more`);
  }
  if (typeof pricePerHourUsd !== 'number' || !Number.isFinite(pricePerHourUsd) || pricePerHourUsd < 0) {
    throw new InvalidInputError(`price per hour ${JSON.stringify(pricePerHourUsd)} is invalid; expected a number of 0 or more (USD per instance-hour)`);
  }
}

/** Parses an ISO-8601 time argument. */
export function checkTime(label: string, value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(`${label} ${JSON.stringify(value)} is invalid; expected an ISO-8601 time such as 2024-05-01T12:00:00Z`);
  }
  return ms;
}

/** Resolves a script that must sit next to this module, failing early with the fix when the build did not copy it. */
export function siblingScript(fileName: string): string {
  const file = path.join(__dirname, fileName);
  if (!fs.existsSync(file)) {
    throw new Error(
      `${fileName} is missing from ${__dirname}; the build must copy activities/provider/local/*.js next to the compiled provider`,
    );
  }
  return file;
}
