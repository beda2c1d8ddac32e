/**
 * Shared test fixtures: a project status with a cost review, one with the
 * estimate and training jobs the cost report charts, and a fake
 * ApprovalBackend. The fake records its calls and validates decisions as the
 * workflow's update validator does. Helpers run the real approval server on
 * 127.0.0.1 with a captured log.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { type ApprovalBackend, DecisionRejectedError, ProjectNotFoundError } from '../../client/approvals/backend';
import { createApprovalServer } from '../../client/approvals/server';
import { type ApprovalClaims, signApprovalToken } from '../../client/approvals/tokens';
import { createLogger } from '../../client/logger';
import { estimateCost } from '../../domain/estimate';
import type { ProjectStatus, ReviewSummary, TrainingJobSummary } from '../../domain/status';
import type { DecideInput, DecideResult } from '../../workflows/messages';
import { makeSpec } from '../domain/fixtures';

export const PROJECT_ID = 'image-classifier';
export const STAKEHOLDER = { name: 'Dana Business', email: 'dana@example.com' };
/** Fixed clock of the tests: 2030-01-01T00:00:00Z. */
export const NOW = new Date('2030-01-01T00:00:00Z');

export function costSummary(): ReviewSummary {
  return {
    gate: 'cost',
    round: 1,
    title: 'Cost estimate for Image classifier',
    paragraphs: ['Training runs 4 h on ml.p3.2xlarge at $16.00 per hour: $64.00.'],
    tables: [
      {
        caption: 'First day',
        columns: ['Item', 'Cost'],
        rows: [
          ['Training', '$64.00'],
          ['Inference, 24 h', '$16.80'],
          ['Total', '$80.80'],
        ],
      },
    ],
    notes: ['Storage and data transfer are not included.'],
  };
}

export function projectStatus(overrides: Partial<ProjectStatus> = {}): ProjectStatus {
  return {
    projectId: PROJECT_ID,
    name: 'Image classifier',
    owner: 'owner@example.com',
    phase: 'cost-review',
    phaseHistory: [
      { phase: 'requirements-review', at: '2029-12-30T10:00:00.000Z' },
      { phase: 'cost-review', at: '2029-12-31T10:00:00.000Z' },
    ],
    approvals: [
      {
        gate: 'cost',
        round: 1,
        email: STAKEHOLDER.email,
        name: STAKEHOLDER.name,
        role: 'business',
        decision: '',
        requestedAt: '2029-12-31T10:00:00.000Z',
      },
    ],
    pendingGate: 'cost',
    reviews: [costSummary()],
    trainingJobs: [],
    retrainings: [],
    spendUsd: 0,
    budgetUsd: 500,
    ...overrides,
  };
}

function benchmarkJob(name: string, instanceType: string, costUsd: number): TrainingJobSummary {
  return {
    name,
    purpose: 'benchmark',
    instanceType,
    instanceCount: 1,
    spot: false,
    status: 'Completed',
    pricePerHourUsd: 0.23,
    costUsd,
    capUsd: 10,
    durationSeconds: 1800,
    stopped: false,
    metrics: { 'validation:accuracy': 0.91 },
  };
}

/** Returns a project at its deployment review with an estimate and two benchmark jobs, so all three charts have data. */
export function reportStatus(): ProjectStatus {
  return projectStatus({
    phase: 'deployment-review',
    pendingGate: 'deployment',
    estimate: estimateCost(makeSpec()),
    trainingJobs: [benchmarkJob('image-classifier-bench-0', 'ml.m5.large', 0.06), benchmarkJob('image-classifier-bench-1', 'ml.m5.xlarge', 0.12)],
    spendUsd: 0.18,
  });
}

/**
 * Fake backend. `decide` applies the checks of the workflow's validator
 * (project exists, gate pending, round current, stakeholder asked, a change
 * request has a comment) and records the decision, so a later GET shows it.
 */
export class FakeBackend implements ApprovalBackend {
  readonly getStatusCalls: string[] = [];
  readonly decideCalls: { projectId: string; input: DecideInput }[] = [];
  /** When set, getStatus throws it. */
  getStatusError?: Error;
  /** When set, decide throws it instead of applying the validator. */
  decideError?: Error;

  constructor(public status: ProjectStatus = projectStatus()) {}

  async getStatus(projectId: string): Promise<ProjectStatus> {
    this.getStatusCalls.push(projectId);
    if (this.getStatusError) {
      throw this.getStatusError;
    }
    if (projectId !== this.status.projectId) {
      throw new ProjectNotFoundError(projectId);
    }
    return structuredClone(this.status);
  }

  async decide(projectId: string, input: DecideInput): Promise<DecideResult> {
    this.decideCalls.push({ projectId, input: structuredClone(input) });
    if (this.decideError) {
      throw this.decideError;
    }
    if (projectId !== this.status.projectId) {
      throw new ProjectNotFoundError(projectId);
    }
    if (input.gate !== this.status.pendingGate) {
      throw new DecisionRejectedError(
        `gate ${input.gate} is not waiting for decisions; the pending gate is ${this.status.pendingGate ?? 'none'}`,
      );
    }
    const record = this.status.approvals.find(
      (approval) => approval.gate === input.gate && approval.round === input.round && approval.email === input.email,
    );
    if (!record) {
      throw new DecisionRejectedError(`${input.email} was not asked to decide round ${input.round} of gate ${input.gate}`);
    }
    if (input.decision === 'request-changes' && !input.comment) {
      throw new DecisionRejectedError('a change request needs a comment that says what to change');
    }
    const at = '2030-01-01T00:00:05.000Z';
    Object.assign(record, { decision: input.decision, comment: input.comment, at });
    // A change request keeps the gate in review until the owner sends a revised spec.
    const phase = input.decision === 'request-changes' ? this.status.phase : 'benchmarking';
    return { gate: input.gate, email: input.email, decision: input.decision, at, phase };
  }
}

export function claimsFor(overrides: Partial<ApprovalClaims> = {}): ApprovalClaims {
  return {
    projectId: PROJECT_ID,
    gate: 'cost',
    round: 1,
    email: STAKEHOLDER.email,
    expiresAt: Math.floor(NOW.getTime() / 1000) + 3600,
    ...overrides,
  };
}

/** A writable stream that keeps every pino line for later inspection. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    done();
  }

  get text(): string {
    return this.lines.join('\n');
  }

  records(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface RunningServer {
  baseUrl: string;
  server: Server;
  backend: FakeBackend;
  log: LogCapture;
  secret: Buffer;
  /** Signed token for the given claims (defaults: the fixture's cost round 1 stakeholder). */
  token(overrides?: Partial<ApprovalClaims>): string;
  /** URL of the approval page for a token. */
  pageUrl(token: string): string;
  close(): Promise<void>;
}

/** Starts the real approval server on a random port of 127.0.0.1. */
export async function startServer(
  options: { backend?: FakeBackend; now?: () => Date; basePath?: string; maxBodyBytes?: number } = {},
): Promise<RunningServer> {
  const backend = options.backend ?? new FakeBackend();
  const log = new LogCapture();
  const secret = randomBytes(32);
  const basePath = options.basePath ?? '';
  // The public URL is only known after listen; the server reads its path, which is fixed here.
  const server = createApprovalServer({
    backend,
    secret,
    publicUrl: `http://127.0.0.1${basePath}`,
    logger: createLogger('approval-server', log),
    now: options.now ?? (() => NOW),
    maxBodyBytes: options.maxBodyBytes,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}${basePath}`;
  return {
    baseUrl,
    server,
    backend,
    log,
    secret,
    token: (overrides) => signApprovalToken(secret, claimsFor(overrides)),
    pageUrl: (token) => `${baseUrl}/approvals/${token}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Posts a form as a browser does, to the page URL. */
export function postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}
