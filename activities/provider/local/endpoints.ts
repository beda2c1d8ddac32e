/**
 * Models, endpoint configs and endpoints of the local provider. Models and
 * configs are JSON records. An endpoint is a folder under compute/endpoints/
 * with its record (endpoint.json, written by this module), the status that
 * endpoint-host.js keeps (status.json) and numbered host locks. Its
 * invocation records and captured requests live under compute/endpoint-data/
 * and outlive it, as CloudWatch data does.
 */
import fs from 'node:fs';
import path from 'node:path';
import type {
  CapturedRequest,
  EndpointConfigRequest,
  EndpointDescription,
  EndpointMetrics,
  EndpointStatus,
  ModelRequest,
  Tags,
} from '../types';
import {
  checkCommand,
  checkFolder,
  checkInstances,
  checkName,
  checkTags,
  checkTime,
  siblingScript,
  type LocalProviderSettings,
  type ProviderContext,
} from './context';
import { InvalidInputError, ModelError, ResourceInUseError, ResourceNotFoundError } from './errors';
import * as runtime from './runtime';

const HOST_SCRIPT = 'endpoint-host.js';
const LOCK_PREFIX = 'host';
const CLAIM_GRACE_MS = 30_000;
/** Extra time, after the stop grace period, that deleteEndpoint waits for the host before killing it. */
const DELETE_MARGIN_MS = 10_000;
/** Upper bound on the wait for killed processes to disappear. */
const KILL_WAIT_MS = 5_000;
/** Client-side bound on one invocation: the host gives the container 60 s, as SageMaker does, and then returns 504 itself. */
const INVOKE_TIMEOUT_MS = 70_000;
/** Characters of an error response body quoted in a ModelError. */
const ERROR_BODY_CHARS = 300;

interface ModelRecord extends ModelRequest {
  createdAt: string;
}

interface ConfigRecord extends EndpointConfigRequest {
  createdAt: string;
}

/** endpoint.json: what the endpoint should be; the host follows it. */
interface EndpointRecord {
  name: string;
  configName: string;
  /** Increases with each updateEndpoint; the host serves the config of the highest revision it applied. */
  revision: number;
  desired: 'InService' | 'Deleting';
  tags: Tags;
  settings: Pick<LocalProviderSettings, 'stopGraceSeconds' | 'heartbeatSeconds' | 'ledgerIntervalSeconds' | 'endpointStartupTimeoutSeconds'>;
  createdAt: string;
  updatedAt: string;
}

interface FleetStatus {
  id: string;
  configName: string;
  instanceType: string;
  instanceCount: number;
  pricePerHourUsd: number;
  billingSince?: string;
  billedUntil?: string;
  billingEnd?: string;
}

/** status.json, written by the host while it lives and by this module only when no host lives. */
interface HostStatusFile {
  status: EndpointStatus;
  configName: string;
  revision: number;
  failureReason?: string;
  url?: string;
  port?: number;
  attempt?: number;
  /** Last host attempt that brought the endpoint to InService. */
  inServiceAttempt?: number;
  heartbeatAt?: string;
  fleets?: FleetStatus[];
}

interface InvocationRecord {
  at: string;
  status: number;
  latencyMs?: number;
}

export class LocalEndpoints {
  private readonly hostScript = siblingScript(HOST_SCRIPT);

  constructor(private readonly ctx: ProviderContext) {}

  /** Records a model; an existing model of that name is kept as it is. */
  async createModel(request: ModelRequest): Promise<void> {
    checkName('model', request.name);
    const command = checkCommand('inference', request.command);
    const workingDirectory = checkFolder('model working directory', request.workingDirectory);
    if (typeof request.modelArtifacts !== 'string' || request.modelArtifacts.length === 0) {
      throw new InvalidInputError(`model artifacts ${JSON.stringify(request.modelArtifacts)} are invalid; expected the folder a training job wrote`);
    }
    const modelArtifacts = path.resolve(workingDirectory, request.modelArtifacts);
    if (!fs.existsSync(modelArtifacts)) {
      throw new InvalidInputError(`model artifacts ${modelArtifacts} do not exist; pass the modelArtifacts folder of a completed training job`);
    }
    const record: ModelRecord = {
      name: request.name,
      command,
      workingDirectory,
      modelArtifacts,
      tags: checkTags(request.tags ?? {}),
      createdAt: this.ctx.clock().toISOString(),
    };
    const file = this.ctx.layout.modelFile(request.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (runtime.writeJsonExclusive(file, record)) {
      this.ctx.logger.info({ model: request.name, modelArtifacts }, 'model created');
    } else {
      this.ctx.logger.info({ model: request.name }, 'model exists; kept the existing record');
    }
  }

  /** Records an endpoint config of an existing model; an existing config of that name is kept as it is. */
  async createEndpointConfig(request: EndpointConfigRequest): Promise<void> {
    checkName('endpoint config', request.name);
    checkName('model', request.modelName);
    checkInstances(request.instanceType, request.instanceCount, request.pricePerHourUsd);
    if (!fs.existsSync(this.ctx.layout.modelFile(request.modelName))) {
      throw new ResourceNotFoundError(`model ${request.modelName} of endpoint config ${request.name} not found; create the model first`);
    }
    const record: ConfigRecord = {
      name: request.name,
      modelName: request.modelName,
      instanceType: request.instanceType,
      instanceCount: request.instanceCount,
      pricePerHourUsd: request.pricePerHourUsd,
      captureInputs: Boolean(request.captureInputs),
      tags: checkTags(request.tags ?? {}),
      createdAt: this.ctx.clock().toISOString(),
    };
    const file = this.ctx.layout.configFile(request.name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (runtime.writeJsonExclusive(file, record)) {
      this.ctx.logger.info({ endpointConfig: request.name, model: request.modelName }, 'endpoint config created');
    } else {
      this.ctx.logger.info({ endpointConfig: request.name }, 'endpoint config exists; kept the existing record');
    }
  }

  /**
   * Deletes a config record. Deleting one that an endpoint serves or has a
   * pending update to is rejected, because the host needs it to restart the
   * endpoint or to finish the update. The target of an update that failed is
   * not in use. A missing config is not an error.
   */
  async deleteEndpointConfig(name: string): Promise<void> {
    checkName('endpoint config', name);
    for (const endpoint of this.listEndpointNames()) {
      const record = this.readRecord(endpoint);
      if (!record || record.desired === 'Deleting') continue;
      const status = this.readStatus(endpoint);
      const pendingTarget = record.configName === name && record.revision > (status?.revision ?? 0);
      if (status?.configName === name || pendingTarget) {
        throw new ResourceInUseError(`endpoint config ${name} is in use by endpoint ${endpoint}; delete or update the endpoint first`);
      }
    }
    fs.rmSync(this.ctx.layout.configFile(name), { force: true });
    this.ctx.logger.info({ endpointConfig: name }, 'endpoint config deleted');
  }

  /**
   * Creates the endpoint and starts its host, or returns the existing
   * endpoint of that name (with a warning when its config differs). An
   * endpoint being deleted is rejected with ResourceInUseError until the
   * deletion finished.
   */
  async createEndpoint(name: string, configName: string, tags: Tags): Promise<EndpointDescription> {
    checkName('endpoint', name);
    checkName('endpoint config', configName);
    this.requireConfig(configName);
    const dir = this.ctx.layout.endpointDir(name);
    fs.mkdirSync(dir, { recursive: true });
    const now = this.ctx.clock().toISOString();
    const record: EndpointRecord = {
      name,
      configName,
      revision: 1,
      desired: 'InService',
      tags: checkTags(tags ?? {}),
      settings: {
        stopGraceSeconds: this.ctx.settings.stopGraceSeconds,
        heartbeatSeconds: this.ctx.settings.heartbeatSeconds,
        ledgerIntervalSeconds: this.ctx.settings.ledgerIntervalSeconds,
        endpointStartupTimeoutSeconds: this.ctx.settings.endpointStartupTimeoutSeconds,
      },
      createdAt: now,
      updatedAt: now,
    };
    if (!runtime.writeJsonExclusive(path.join(dir, 'endpoint.json'), record)) {
      const existing = this.requireRecord(name);
      if (existing.desired === 'Deleting') {
        throw new ResourceInUseError(`endpoint ${name} is being deleted; create it again once describeEndpoint returns nothing`);
      }
      if (existing.configName !== configName) {
        this.ctx.logger.warn({ endpoint: name, configName: existing.configName, requested: configName }, 'endpoint exists with another config; returning it');
      }
      return (await this.describeEndpoint(name)) ?? this.missing(name);
    }
    this.startHost(name, 1);
    this.ctx.logger.info({ endpoint: name, configName }, 'endpoint created');
    return (await this.describeEndpoint(name)) ?? this.missing(name);
  }

  /**
   * Starts a blue/green update to `configName`: the host starts the new
   * container, switches traffic once it is healthy, then stops the old one.
   * Returns at once with status Updating. When the new container fails, the
   * endpoint goes back to InService on the old config with a failureReason.
   * Updating to the config already being served or updated to returns the
   * endpoint unchanged.
   */
  async updateEndpoint(name: string, configName: string): Promise<EndpointDescription> {
    checkName('endpoint', name);
    checkName('endpoint config', configName);
    this.requireConfig(configName);
    const record = this.requireRecord(name);
    if (record.desired === 'Deleting') {
      throw new ResourceInUseError(`endpoint ${name} is being deleted; it cannot be updated`);
    }
    if (record.configName === configName) {
      return (await this.describeEndpoint(name)) ?? this.missing(name);
    }
    const current = await this.describeEndpoint(name);
    if (current?.status !== 'InService') {
      throw new ResourceInUseError(`endpoint ${name} is ${current?.status ?? 'gone'}; an update needs it InService, so retry once it is`);
    }
    this.writeRecord({ ...record, configName, revision: record.revision + 1, updatedAt: this.ctx.clock().toISOString() });
    this.ctx.logger.info({ endpoint: name, from: record.configName, to: configName }, 'endpoint update requested');
    return (await this.describeEndpoint(name)) ?? this.missing(name);
  }

  /** Returns the endpoint, restarting its host first when the host died; undefined when the endpoint does not exist. */
  async describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
    checkName('endpoint', name);
    const record = this.readRecord(name);
    if (!record) return undefined;
    if (record.desired === 'Deleting') {
      if (this.hostAlive(name)) return this.toDescription(record, this.readStatus(name));
      await this.finishDelete(record);
      return undefined;
    }
    await this.supervise(record);
    return this.toDescription(record, this.readStatus(name));
  }

  /**
   * Stops the host and its containers (SIGTERM, grace period, SIGKILL),
   * bills their last seconds and removes the endpoint; its model, config
   * and invocation data stay. Resolves once nothing of it runs. A missing
   * endpoint is not an error.
   */
  async deleteEndpoint(name: string): Promise<void> {
    checkName('endpoint', name);
    const record = this.readRecord(name);
    if (!record) return;
    if (record.desired !== 'Deleting') {
      this.writeRecord({ ...record, desired: 'Deleting', updatedAt: this.ctx.clock().toISOString() });
      this.ctx.logger.info({ endpoint: name }, 'endpoint deletion requested');
    }
    const lock = runtime.latestLock(this.ctx.layout.endpointDir(name), LOCK_PREFIX);
    if (lock?.content.pid !== undefined && this.hostAlive(name)) {
      runtime.sendSignal(lock.content.pid, 'SIGTERM');
      const deadline = Date.now() + this.ctx.settings.stopGraceSeconds * 1000 + DELETE_MARGIN_MS;
      while (this.hostAlive(name) && Date.now() < deadline) await runtime.sleep(100);
      if (this.hostAlive(name)) {
        this.ctx.logger.warn({ endpoint: name, pid: lock.content.pid }, 'endpoint host did not stop in time; killing it');
        runtime.sendSignal(lock.content.pid, 'SIGKILL');
      }
    }
    await this.finishDelete(record);
  }

  /**
   * Sends one request to POST /invocations of a serving endpoint and returns
   * the response body. Reads the endpoint's files without supervising its
   * host, so the call adds little to the latency a load test measures.
   * Throws ResourceNotFoundError for an unknown or deleted endpoint,
   * ResourceInUseError while it is not serving, and ModelError for a non-2xx response.
   */
  async invoke(name: string, body: string, contentType: string): Promise<string> {
    checkName('endpoint', name);
    const record = this.readRecord(name);
    if (!record || record.desired === 'Deleting') throw new ResourceNotFoundError(`endpoint ${name} not found; create it first`);
    const status = this.readStatus(name);
    // During a blue/green update the old container keeps serving, so Updating accepts requests too, as on SageMaker.
    const serving = status?.status === 'InService' || status?.status === 'Updating';
    if (!serving || !status.url) {
      throw new ResourceInUseError(`endpoint ${name} is ${status?.status ?? 'Creating'}; invoke it once describeEndpoint reports InService`);
    }
    const response = await fetch(new URL('/invocations', status.url), {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
      signal: AbortSignal.timeout(INVOKE_TIMEOUT_MS),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new ModelError(`endpoint ${name} responded with status ${response.status}: ${text.slice(0, ERROR_BODY_CHARS)}`, response.status);
    }
    return text;
  }

  /** Counts invocations in [start, end): all of them, the 5xx errors, and the latency of those a container responded to. */
  async getEndpointMetrics(name: string, start: string, end: string): Promise<EndpointMetrics> {
    // NOTE: reads the whole invocations file on each call; fine for local traffic, slow after millions of requests.
    checkName('endpoint', name);
    const from = checkTime('start', start);
    const to = checkTime('end', end);
    const records = runtime
      .readJsonLines<InvocationRecord>(path.join(this.ctx.layout.endpointDataDir(name), 'invocations.jsonl'))
      .filter((record) => inWindow(record.at, from, to));
    const latencies = records.map((record) => record.latencyMs).filter((value): value is number => typeof value === 'number');
    return {
      invocations: records.length,
      errors: records.filter((record) => record.status >= 500).length,
      latencyMsAvg: latencies.length > 0 ? latencies.reduce((sum, value) => sum + value, 0) / latencies.length : undefined,
      latencyMsMax: latencies.length > 0 ? Math.max(...latencies) : undefined,
    };
  }

  /** Returns the newest `limit` captured request bodies in [start, end), oldest first. */
  async getCapturedRequests(name: string, start: string, end: string, limit: number): Promise<CapturedRequest[]> {
    checkName('endpoint', name);
    const from = checkTime('start', start);
    const to = checkTime('end', end);
    if (!Number.isInteger(limit) || limit < 0) {
      throw new InvalidInputError(`limit ${JSON.stringify(limit)} is invalid; expected an integer of 0 or more`);
    }
    if (limit === 0) return [];
    return runtime
      .readJsonLines<CapturedRequest>(path.join(this.ctx.layout.endpointDataDir(name), 'capture.jsonl'))
      .filter((record) => inWindow(record.at, from, to))
      .slice(-limit)
      .map((record) => ({ at: record.at, body: record.body }));
  }

  private missing(name: string): never {
    throw new ResourceNotFoundError(`endpoint ${name} disappeared while it was being created; another caller deleted it`);
  }

  private requireConfig(configName: string): ConfigRecord {
    const config = runtime.readJson<ConfigRecord>(this.ctx.layout.configFile(configName));
    if (!config) {
      throw new ResourceNotFoundError(`endpoint config ${configName} not found; create it with createEndpointConfig first`);
    }
    if (!fs.existsSync(this.ctx.layout.modelFile(config.modelName))) {
      throw new ResourceNotFoundError(`model ${config.modelName} of endpoint config ${configName} not found; create the model first`);
    }
    return config;
  }

  private readRecord(name: string): EndpointRecord | undefined {
    return runtime.readJson<EndpointRecord>(path.join(this.ctx.layout.endpointDir(name), 'endpoint.json'));
  }

  private requireRecord(name: string): EndpointRecord {
    const record = this.readRecord(name);
    if (!record) throw new ResourceNotFoundError(`endpoint ${name} not found; create it first`);
    return record;
  }

  private writeRecord(record: EndpointRecord): void {
    runtime.writeJsonAtomic(path.join(this.ctx.layout.endpointDir(record.name), 'endpoint.json'), record);
  }

  private readStatus(name: string): HostStatusFile | undefined {
    return runtime.readJson<HostStatusFile>(path.join(this.ctx.layout.endpointDir(name), 'status.json'));
  }

  private listEndpointNames(): string[] {
    try {
      return fs.readdirSync(this.ctx.layout.endpointsDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  private hostAlive(name: string): boolean {
    const lock = runtime.latestLock(this.ctx.layout.endpointDir(name), LOCK_PREFIX);
    if (!lock || lock.content.pid === undefined) return false;
    return runtime.isOwnProcess(lock.content.pid, HOST_SCRIPT, [this.ctx.stateDir, name, lock.n]);
  }

  private startHost(name: string, n: number): boolean {
    const dir = this.ctx.layout.endpointDir(name);
    if (!runtime.claimLock(dir, LOCK_PREFIX, n)) return false;
    const pid = runtime.spawnDetached(this.hostScript, [this.ctx.stateDir, name, n], dir, `${dir}#host-${n}`);
    runtime.recordLock(dir, LOCK_PREFIX, n, { pid });
    this.ctx.logger.info({ endpoint: name, attempt: n, pid }, 'endpoint host started');
    return true;
  }

  /**
   * Restarts the host when it died while the endpoint should serve (such as
   * after a machine restart). A Failed endpoint stays Failed. After
   * maxEndpointStarts host starts in a row that never reached InService,
   * the endpoint is marked Failed instead of starting again.
   */
  private async supervise(record: EndpointRecord): Promise<void> {
    const { name } = record;
    const dir = this.ctx.layout.endpointDir(name);
    const lock = runtime.latestLock(dir, LOCK_PREFIX);
    if (!lock) {
      this.startHost(name, 1);
      return;
    }
    if (lock.content.finished) return;
    if (lock.content.pid !== undefined) {
      if (runtime.isOwnProcess(lock.content.pid, HOST_SCRIPT, [this.ctx.stateDir, name, lock.n])) return;
    } else if (lock.ageMs < CLAIM_GRACE_MS) {
      return;
    }
    if (this.readStatus(name)?.status === 'Failed') return;
    if (!runtime.claimLock(dir, LOCK_PREFIX, lock.n + 1)) return;

    const killed = await runtime.killMarkedProcesses(`${dir}#`, KILL_WAIT_MS);
    if (killed.length > 0) this.ctx.logger.warn({ endpoint: name, pids: killed }, 'killed processes left by the dead host');
    const status = this.settleHosting(record, this.readStatus(name));
    const startsWithoutService = lock.n - (status?.inServiceAttempt ?? 0);
    if (startsWithoutService >= this.ctx.settings.maxEndpointStarts) {
      const failureReason = `the endpoint host stopped ${startsWithoutService} times in a row before the endpoint was InService; see ${path.join(dir, 'host.log')} and the container logs in ${path.join(dir, 'containers')}`;
      this.writeStatus(name, { ...(status ?? { configName: record.configName, revision: 0 }), status: 'Failed', failureReason });
      runtime.recordLock(dir, LOCK_PREFIX, lock.n + 1, { finished: true });
      this.ctx.logger.error({ endpoint: name, starts: startsWithoutService }, 'endpoint failed: its host kept stopping');
      return;
    }
    // The dead host's InService must not be read as the new host's.
    this.writeStatus(name, { ...(status ?? { configName: record.configName, revision: 0 }), status: 'Creating', fleets: [] });
    const pid = runtime.spawnDetached(this.hostScript, [this.ctx.stateDir, name, lock.n + 1], dir, `${dir}#host-${lock.n + 1}`);
    runtime.recordLock(dir, LOCK_PREFIX, lock.n + 1, { pid });
    this.ctx.logger.warn({ endpoint: name, attempt: lock.n + 1, pid }, 'endpoint host was gone; restarted it');
  }

  private writeStatus(name: string, status: HostStatusFile): void {
    runtime.writeJsonAtomic(path.join(this.ctx.layout.endpointDir(name), 'status.json'), status);
  }

  /** Bills the containers of a dead host from their last ledger entry to its last heartbeat, so at most one heartbeat interval goes unbilled. */
  private settleHosting(record: EndpointRecord, status: HostStatusFile | undefined): HostStatusFile | undefined {
    if (!status?.fleets || !status.heartbeatAt) return status;
    for (const fleet of status.fleets) {
      if (!fleet.billingSince) continue;
      const start = new Date(fleet.billedUntil ?? fleet.billingSince);
      const end = new Date(fleet.billingEnd ?? status.heartbeatAt);
      runtime.appendLedger(
        this.ctx.stateDir,
        runtime.billedInterval({
          resource: record.name,
          kind: 'hosting',
          tags: record.tags,
          start,
          end: end > start ? end : start,
          instanceType: fleet.instanceType,
          instanceCount: fleet.instanceCount,
          pricePerHourUsd: fleet.pricePerHourUsd,
          extra: { configName: fleet.configName },
        }),
      );
    }
    const settled = { ...status, fleets: [] };
    this.writeStatus(record.name, settled);
    return settled;
  }

  /** Kills what is left of the endpoint, bills it and moves its folder to deleted-endpoints/; one caller does it. */
  private async finishDelete(record: EndpointRecord): Promise<void> {
    const dir = this.ctx.layout.endpointDir(record.name);
    if (!runtime.claimLock(dir, 'delete', 1)) {
      const deadline = Date.now() + this.ctx.settings.stopGraceSeconds * 1000 + DELETE_MARGIN_MS;
      while (fs.existsSync(dir) && Date.now() < deadline) await runtime.sleep(100);
      return;
    }
    await runtime.killMarkedProcesses(`${dir}#`, KILL_WAIT_MS);
    this.settleHosting(record, this.readStatus(record.name));
    const target = this.ctx.layout.deletedEndpointDir(record.name, this.ctx.clock());
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(dir, target);
    this.ctx.logger.info({ endpoint: record.name, keptIn: target }, 'endpoint deleted');
  }

  private toDescription(record: EndpointRecord, status: HostStatusFile | undefined): EndpointDescription {
    let endpointStatus: EndpointStatus = status?.status ?? 'Creating';
    if (record.desired === 'Deleting') {
      endpointStatus = 'Deleting';
    } else if (endpointStatus === 'InService' && record.revision > (status?.revision ?? 0)) {
      endpointStatus = 'Updating';
    }
    return {
      name: record.name,
      status: endpointStatus,
      configName: status?.configName ?? record.configName,
      failureReason: status?.failureReason,
      url: status?.url,
    };
  }
}

function inWindow(at: string, from: number, to: number): boolean {
  const ms = Date.parse(at);
  return ms >= from && ms < to;
}
