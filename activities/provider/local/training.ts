/**
 * Training jobs of the local provider. Each job is a folder under
 * compute/training-jobs/ with its request (job.json, written once), the
 * status that job-runner.js keeps (status.json), numbered attempt locks
 * and logs. This module creates jobs, reads their status and restarts a
 * job whose runner died.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingJobDescription, TrainingJobRequest, TrainingJobStatus } from '../types';
import {
  checkCommand,
  checkFolder,
  checkInstances,
  checkName,
  checkTags,
  siblingScript,
  type LocalProviderSettings,
  type ProviderContext,
} from './context';
import { InvalidInputError, ResourceNotFoundError } from './errors';
import * as runtime from './runtime';

const RUNNER_SCRIPT = 'job-runner.js';
const LOCK_PREFIX = 'attempt';
/** How long a claimed attempt may go without a recorded runner pid before it counts as abandoned. */
const CLAIM_GRACE_MS = 30_000;
/** Upper bound on the wait for killed processes to disappear. */
const KILL_WAIT_MS = 5_000;
const TERMINAL: readonly TrainingJobStatus[] = ['Completed', 'Failed', 'Stopped'];

/** job.json: the request as accepted, with the settings the runner uses. */
interface JobRecord {
  request: TrainingJobRequest;
  settings: Pick<LocalProviderSettings, 'stopGraceSeconds' | 'heartbeatSeconds' | 'ledgerIntervalSeconds' | 'sampleIntervalMs'>;
  createdAt: string;
}

/** status.json, written by the runner while it lives and by this module only when no runner lives. */
interface JobStatusFile {
  name: string;
  status: TrainingJobStatus;
  secondaryStatus?: string;
  failureReason?: string;
  startTime?: string;
  endTime?: string;
  attempt?: number;
  /** Start of the attempt that has not been settled yet; cleared once its time is added to priorRunSeconds. */
  attemptStartTime?: string;
  heartbeatAt?: string;
  ledgerFlushedUntil?: string;
  /** Wall-clock seconds of the settled attempts. */
  priorRunSeconds?: number;
  /** Wall-clock seconds of all attempts at the last write. */
  runSeconds?: number;
  metrics?: Record<string, number>;
  usage?: { samples: number; cpuSum: number; cpuMax: number; memoryMiBMax: number };
  stopRequested?: boolean;
}

function isTerminal(status: TrainingJobStatus): boolean {
  return TERMINAL.includes(status);
}

function checkRequest(request: TrainingJobRequest): TrainingJobRequest {
  checkName('training job', request.name);
  const command = checkCommand('training', request.command);
  const workingDirectory = checkFolder('training working directory', request.workingDirectory);
  checkInstances(request.instanceType, request.instanceCount, request.pricePerHourUsd);
  if (typeof request.maxRuntimeSeconds !== 'number' || !(request.maxRuntimeSeconds > 0)) {
    throw new InvalidInputError(`maxRuntimeSeconds ${JSON.stringify(request.maxRuntimeSeconds)} is invalid; expected a positive number of seconds`);
  }
  const channels: Record<string, string> = {};
  for (const [channel, location] of Object.entries(request.channels ?? {})) {
    if (!/^[A-Za-z0-9_-]+$/.test(channel)) {
      throw new InvalidInputError(`channel name ${JSON.stringify(channel)} is invalid; expected letters, digits, underscores or hyphens`);
    }
    if (typeof location !== 'string' || location.length === 0) {
      throw new InvalidInputError(`channel ${channel} has location ${JSON.stringify(location)}; expected a local path`);
    }
    if (/^s3:\/\//i.test(location)) {
      throw new InvalidInputError(`channel ${channel} is the S3 URI ${location}; the local provider reads local paths only, so copy the data to a folder`);
    }
    const resolved = path.resolve(workingDirectory, location);
    if (!fs.existsSync(resolved)) {
      throw new InvalidInputError(`channel ${channel}: ${resolved} does not exist; relative paths resolve against ${workingDirectory}`);
    }
    channels[channel] = resolved;
  }
  const hyperparameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.hyperparameters ?? {})) {
    if (typeof value !== 'string') {
      throw new InvalidInputError(`hyperparameter ${key}=${JSON.stringify(value)} is invalid; expected a string, as SageMaker passes them`);
    }
    hyperparameters[key] = value;
  }
  for (const definition of request.metricDefinitions ?? []) {
    let groups: number;
    try {
      groups = new RegExp(`${definition.regex}|`).exec('')!.length - 1;
    } catch (error) {
      throw new InvalidInputError(`metric ${definition.name} has an invalid regex ${JSON.stringify(definition.regex)}`, { cause: error });
    }
    if (groups < 1) {
      throw new InvalidInputError(`metric ${definition.name} regex ${JSON.stringify(definition.regex)} has no capture group; wrap the value in ( )`);
    }
  }
  return {
    ...request,
    command,
    workingDirectory,
    channels,
    hyperparameters,
    metricDefinitions: [...(request.metricDefinitions ?? [])],
    spot: Boolean(request.spot),
    tags: checkTags(request.tags ?? {}),
  };
}

export class LocalTrainingJobs {
  private readonly runnerScript = siblingScript(RUNNER_SCRIPT);

  constructor(private readonly ctx: ProviderContext) {}

  /**
   * Creates the job and starts its runner, or returns the existing job of
   * that name. A different request under an existing name is not rejected
   * (SageMaker would): the existing job is returned and a warning logged,
   * because a retried activity must adopt what its first attempt started.
   */
  async create(input: TrainingJobRequest): Promise<TrainingJobDescription> {
    const request = checkRequest(input);
    const dir = this.ctx.layout.jobDir(request.name);
    fs.mkdirSync(dir, { recursive: true });
    const record: JobRecord = {
      request,
      settings: {
        stopGraceSeconds: this.ctx.settings.stopGraceSeconds,
        heartbeatSeconds: this.ctx.settings.heartbeatSeconds,
        ledgerIntervalSeconds: this.ctx.settings.ledgerIntervalSeconds,
        sampleIntervalMs: this.ctx.settings.sampleIntervalMs,
      },
      createdAt: this.ctx.clock().toISOString(),
    };
    if (!runtime.writeJsonExclusive(path.join(dir, 'job.json'), record)) {
      const existing = this.readRecord(request.name);
      if (JSON.stringify(existing.request) !== JSON.stringify(request)) {
        this.ctx.logger.warn({ job: request.name }, 'training job exists with a different request; returning the existing job');
      } else {
        this.ctx.logger.info({ job: request.name }, 'training job exists; returning it');
      }
      return this.describe(request.name);
    }
    this.startAttempt(request.name, 1);
    this.ctx.logger.info({ job: request.name, instanceType: request.instanceType, command: request.command }, 'training job created');
    return this.describe(request.name);
  }

  /** Returns the job's status; restarts or finishes the job first when its runner is gone. */
  async describe(name: string): Promise<TrainingJobDescription> {
    checkName('training job', name);
    const record = this.readRecord(name);
    if (!isTerminal(this.readStatus(record).status)) {
      await this.supervise(record);
    }
    return this.toDescription(record, this.readStatus(record));
  }

  /**
   * Asks the runner to stop the job: it sends SIGTERM to the command's
   * process group, waits the grace period, then sends SIGKILL. Returns at
   * once with status Stopping; a terminal job is returned unchanged.
   */
  async stop(name: string): Promise<TrainingJobDescription> {
    checkName('training job', name);
    const record = this.readRecord(name);
    if (isTerminal(this.readStatus(record).status)) {
      return this.describe(name);
    }
    const created = runtime.writeJsonExclusive(path.join(this.ctx.layout.jobDir(name), 'stop.json'), {
      requestedAt: this.ctx.clock().toISOString(),
    });
    if (created) this.ctx.logger.info({ job: name }, 'training job stop requested');
    return this.describe(name);
  }

  private readRecord(name: string): JobRecord {
    const record = runtime.readJson<JobRecord>(path.join(this.ctx.layout.jobDir(name), 'job.json'));
    if (!record) {
      throw new ResourceNotFoundError(`training job ${name} not found in ${this.ctx.stateDir}; create it first`);
    }
    return record;
  }

  private readStatus(record: JobRecord): JobStatusFile {
    const file = path.join(this.ctx.layout.jobDir(record.request.name), 'status.json');
    return (
      runtime.readJson<JobStatusFile>(file) ?? {
        name: record.request.name,
        status: 'InProgress',
        secondaryStatus: 'Starting',
        priorRunSeconds: 0,
        runSeconds: 0,
        metrics: {},
        stopRequested: false,
      }
    );
  }

  private writeStatus(name: string, status: JobStatusFile): void {
    runtime.writeJsonAtomic(path.join(this.ctx.layout.jobDir(name), 'status.json'), status);
  }

  /** Starts the runner for attempt `n` if this caller wins the claim on it; returns whether it did. */
  private startAttempt(name: string, n: number): boolean {
    const dir = this.ctx.layout.jobDir(name);
    if (!runtime.claimLock(dir, LOCK_PREFIX, n)) return false;
    const pid = runtime.spawnDetached(this.runnerScript, [this.ctx.stateDir, name, n], dir, `${dir}#runner-${n}`);
    runtime.recordLock(dir, LOCK_PREFIX, n, { pid });
    this.ctx.logger.info({ job: name, attempt: n, pid }, 'training job runner started');
    return true;
  }

  /**
   * Checks that the current attempt's runner lives. A dead runner (machine
   * restart, killed process) is handled like a managed spot interruption.
   * Its leftover processes are killed and its time is billed up to its last
   * heartbeat. Then the job restarts under the same name with cumulative
   * billing, up to maxJobAttempts runners, or ends Stopped when a stop was
   * requested. Only the caller that wins the claim on the next attempt
   * number does this, however many describe at once.
   */
  private async supervise(record: JobRecord): Promise<void> {
    const name = record.request.name;
    const dir = this.ctx.layout.jobDir(name);
    const lock = runtime.latestLock(dir, LOCK_PREFIX);
    if (!lock) {
      // The creator stopped between writing job.json and claiming the first attempt.
      this.startAttempt(name, 1);
      return;
    }
    if (lock.content.finished) return;
    if (lock.content.pid !== undefined) {
      if (runtime.isOwnProcess(lock.content.pid, RUNNER_SCRIPT, [this.ctx.stateDir, name, lock.n])) return;
    } else if (lock.ageMs < CLAIM_GRACE_MS) {
      return;
    }
    // A runner that just finished wrote its terminal status before exiting.
    if (isTerminal(this.readStatus(record).status)) return;
    if (!runtime.claimLock(dir, LOCK_PREFIX, lock.n + 1)) return;

    const killed = await runtime.killMarkedProcesses(`${dir}#`, KILL_WAIT_MS);
    if (killed.length > 0) this.ctx.logger.warn({ job: name, pids: killed }, 'killed processes left by the dead runner');
    const status = this.settleAttempt(record, this.readStatus(record));
    const now = this.ctx.clock().toISOString();
    const tail = lastLines(path.join(dir, 'training.log'), 600);

    if (fs.existsSync(path.join(dir, 'stop.json'))) {
      this.writeStatus(name, { ...status, status: 'Stopped', secondaryStatus: 'Stopped', stopRequested: true, endTime: now });
      runtime.recordLock(dir, LOCK_PREFIX, lock.n + 1, { finished: true });
      this.ctx.logger.info({ job: name }, 'training job stopped while its runner was gone');
      return;
    }
    if (lock.n >= this.ctx.settings.maxJobAttempts) {
      const failureReason = `the job's runner process ended without finishing ${lock.n} times (machine restarts or killed processes); last output:\n${tail}`;
      this.writeStatus(name, { ...status, status: 'Failed', secondaryStatus: 'Failed', failureReason: failureReason.slice(0, 1024), endTime: now });
      runtime.recordLock(dir, LOCK_PREFIX, lock.n + 1, { finished: true });
      this.ctx.logger.error({ job: name, attempts: lock.n }, 'training job failed: its runner kept dying');
      return;
    }
    this.writeStatus(name, { ...status, status: 'InProgress', secondaryStatus: 'Restarting' });
    const pid = runtime.spawnDetached(this.runnerScript, [this.ctx.stateDir, name, lock.n + 1], dir, `${dir}#runner-${lock.n + 1}`);
    runtime.recordLock(dir, LOCK_PREFIX, lock.n + 1, { pid });
    this.ctx.logger.warn({ job: name, attempt: lock.n + 1, pid }, 'training job runner was gone; restarted the job');
  }

  /** Bills a dead runner's attempt up to its last heartbeat and folds its time into priorRunSeconds. */
  private settleAttempt(record: JobRecord, status: JobStatusFile): JobStatusFile {
    if (!status.attemptStartTime || !status.heartbeatAt) return status;
    const start = new Date(status.attemptStartTime);
    const heartbeat = new Date(status.heartbeatAt);
    const flushed = new Date(status.ledgerFlushedUntil ?? status.attemptStartTime);
    const { request } = record;
    runtime.appendLedger(
      this.ctx.stateDir,
      runtime.billedInterval({
        resource: request.name,
        kind: 'training',
        tags: request.tags,
        start: flushed > start ? flushed : start,
        end: heartbeat,
        instanceType: request.instanceType,
        instanceCount: request.instanceCount,
        pricePerHourUsd: request.pricePerHourUsd,
        extra: { attempt: status.attempt, spot: request.spot },
      }),
    );
    const runSeconds = (status.priorRunSeconds ?? 0) + Math.max(0, heartbeat.getTime() - start.getTime()) / 1000;
    return { ...status, priorRunSeconds: runSeconds, runSeconds, attemptStartTime: undefined, ledgerFlushedUntil: status.heartbeatAt };
  }

  private toDescription(record: JobRecord, status: JobStatusFile): TrainingJobDescription {
    const { request } = record;
    const dir = this.ctx.layout.jobDir(request.name);
    const terminal = isTerminal(status.status);
    let runSeconds = status.runSeconds ?? 0;
    if (!terminal && status.attemptStartTime) {
      const elapsed = this.ctx.clock().getTime() - Date.parse(status.attemptStartTime);
      runSeconds = (status.priorRunSeconds ?? 0) + Math.max(0, elapsed) / 1000;
    }
    const stopPending = !terminal && fs.existsSync(path.join(dir, 'stop.json'));
    const billableSeconds = runSeconds * request.instanceCount;
    const usage = status.usage;
    return {
      name: request.name,
      status: stopPending ? 'Stopping' : status.status,
      secondaryStatus: stopPending && status.secondaryStatus !== 'Restarting' ? 'Stopping' : status.secondaryStatus,
      failureReason: status.failureReason,
      instanceType: request.instanceType,
      instanceCount: request.instanceCount,
      spot: request.spot,
      startTime: status.startTime,
      endTime: terminal ? status.endTime : undefined,
      billableSeconds,
      costUsd: (request.pricePerHourUsd / 3600) * billableSeconds,
      metrics: { ...(status.metrics ?? {}) },
      resourceUsage:
        usage && (usage.samples > 0 || usage.memoryMiBMax > 0)
          ? {
              cpuPercentMax: usage.cpuMax,
              cpuPercentAvg: usage.samples > 0 ? usage.cpuSum / usage.samples : 0,
              memoryMiBMax: usage.memoryMiBMax,
            }
          : undefined,
      modelArtifacts: status.status === 'Completed' ? path.join(dir, 'model') : undefined,
      outputDataPath: status.status === 'Completed' ? path.join(dir, 'output', 'data') : undefined,
      stopRequested: Boolean(status.stopRequested) || stopPending,
    };
  }
}

/** Returns the last `maxChars` bytes of a log file as text, or an empty string when there is none. */
function lastLines(file: string, maxChars: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, maxChars);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8').trimEnd();
    return length < size ? `...${text}` : text;
  } finally {
    fs.closeSync(fd);
  }
}
