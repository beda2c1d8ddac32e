/**
 * The local compute provider: SageMaker's resource model on one machine,
 * for a laptop with no AWS account. Training jobs and endpoints run as
 * detached processes that outlive the worker. All state is JSON under
 * `stateDir`, so a restarted worker picks up where the last one stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { ComputeProvider } from '../types';
import { DEFAULT_SETTINGS, StateLayout, type LocalProviderSettings, type ProviderContext, type ProviderLogger } from './context';
import { LocalEndpoints } from './endpoints';
import { readLedger, sumProjectSpend } from './ledger';
import { InvalidInputError } from './errors';
import * as runtime from './runtime';
import { LocalTrainingJobs } from './training';

export { InvalidInputError, ModelError, ResourceInUseError, ResourceNotFoundError } from './errors';
export { DEFAULT_SETTINGS, type LocalProviderSettings, type ProviderLogger } from './context';
export { readLedger, type LedgerEntry } from './ledger';

export interface LocalProviderOptions {
  /** Folder of all provider state, created when missing; relative paths resolve against the current directory. */
  stateDir: string;
  /** Time source for the times the provider itself writes and for live cost figures; the runner and host processes use the system clock. */
  clock?: () => Date;
  /** Defaults to a pino logger on stderr named `local-provider`. */
  logger?: ProviderLogger;
  /** Overrides of DEFAULT_SETTINGS, such as a short stopGraceSeconds in tests. */
  settings?: Partial<LocalProviderSettings>;
}

export interface LocalProvider extends ComputeProvider {
  readonly stateDir: string;
  /**
   * Interrupts every job runner and endpoint host of this state folder, as
   * a machine shutdown would: SIGTERM, then SIGKILL after `boundMs`. Jobs
   * and endpoints stay InService/InProgress in their records, and the next
   * describe restarts them. Returns the number of processes signalled.
   */
  suspend(boundMs?: number): Promise<number>;
}

export function createLocalProvider(options: LocalProviderOptions): LocalProvider {
  fs.mkdirSync(options.stateDir, { recursive: true });
  // One spelling per folder: process checks compare it with the arguments and markers of running processes.
  const stateDir = fs.realpathSync(path.resolve(options.stateDir));
  const ctx: ProviderContext = {
    stateDir,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger ?? pino({ name: 'local-provider' }, pino.destination(2)),
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    layout: new StateLayout(stateDir),
  };
  const jobs = new LocalTrainingJobs(ctx);
  const endpoints = new LocalEndpoints(ctx);

  return {
    name: 'local',
    stateDir,
    createTrainingJob: (request) => jobs.create(request),
    describeTrainingJob: (name) => jobs.describe(name),
    stopTrainingJob: (name) => jobs.stop(name),
    createModel: (request) => endpoints.createModel(request),
    createEndpointConfig: (request) => endpoints.createEndpointConfig(request),
    deleteEndpointConfig: (name) => endpoints.deleteEndpointConfig(name),
    createEndpoint: (name, configName, tags) => endpoints.createEndpoint(name, configName, tags),
    updateEndpoint: (name, configName) => endpoints.updateEndpoint(name, configName),
    describeEndpoint: (name) => endpoints.describeEndpoint(name),
    deleteEndpoint: (name) => endpoints.deleteEndpoint(name),
    getEndpointMetrics: (name, start, end) => endpoints.getEndpointMetrics(name, start, end),
    getCapturedRequests: (name, start, end, limit) => endpoints.getCapturedRequests(name, start, end, limit),
    invokeEndpoint: (name, body, contentType) => endpoints.invoke(name, body, contentType),
    readModelFile: async (modelArtifacts, fileName) => {
      const file = path.join(modelArtifacts, fileName);
      try {
        return await fs.promises.readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InvalidInputError(`the model folder ${modelArtifacts} has no ${fileName}`);
        throw err;
      }
    },
    getProjectSpend: async (projectId) => sumProjectSpend(readLedger(stateDir), projectId),
    suspend: (boundMs = 15_000) => suspendProcesses(stateDir, boundMs),
  };
}

/** Runners and hosts are the processes started from these scripts; they stop their own children. */
const SUPERVISORS = ['job-runner.js', 'endpoint-host.js'];

async function suspendProcesses(stateDir: string, boundMs: number): Promise<number> {
  const isSupervisor = (pid: number) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return SUPERVISORS.some((script) => cmdline.includes(script));
    } catch {
      return false;
    }
  };
  const supervisors = runtime.findMarkedProcesses(stateDir, true).filter(isSupervisor);
  for (const pid of supervisors) runtime.sendSignal(pid, 'SIGTERM');
  const deadline = Date.now() + boundMs;
  while (runtime.findMarkedProcesses(stateDir, true).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const pid of runtime.findMarkedProcesses(stateDir, true)) runtime.sendSignal(pid, 'SIGKILL');
  return supervisors.length;
}
