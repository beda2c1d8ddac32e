/**
 * An in-process copy of the embedded stack for end-to-end tests: a worker
 * with the real local provider, the outbox mailer and the approval server
 * on 127.0.0.1, against the dev server that global-setup started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, type Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { simpleParser } from 'mailparser';
import { createActivities, type ActivityDependencies } from '../../activities';
import { createMailer } from '../../activities/mail';
import { createLocalProvider } from '../../activities/provider/local';
import type { ComputeProvider } from '../../activities/provider/types';
import { createApprovalServer } from '../../client/approvals/server';
import { createLogger, type Logger } from '../../client/logger';
import { ProjectClient } from '../../client/projects';
import type { Phase } from '../../domain/constants';
import { parseSpec, type ProjectSpec } from '../../domain/spec';
import type { ProjectStatus } from '../../domain/status';
import { createLifecycleWorker, WORKFLOWS_PATH } from '../../workers/worker';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const QUICKSTART_DIR = path.join(REPO_ROOT, 'examples', 'quickstart');

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
let runtimeInstalled = false;

/** Keeps the SDK's own logging to warnings, so test output shows failures, not worker state changes. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

/** Bundles the workflow code once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string, meta?: unknown) => console.error(message, meta),
};

/** Loads the quickstart spec with changes for a test; the id is made unique. */
export function quickstartSpec(id: string, change: (spec: ProjectSpec) => void = () => undefined): ProjectSpec {
  const spec = parseSpec(fs.readFileSync(path.join(QUICKSTART_DIR, 'project.yaml'), 'utf8'), 'project.yaml');
  spec.id = `${id}-${Date.now().toString(36)}`;
  change(spec);
  return spec;
}

export interface ApprovalMail {
  to: string;
  subject: string;
  link: string;
  text: string;
}

export class Harness {
  readonly logLines: string[] = [];
  readonly logger: Logger;
  provider!: ComputeProvider;
  /** Set before start() to run projects whose spec says `provider: sagemaker`, such as against moto. */
  sagemakerProvider?: ActivityDependencies['sagemakerProvider'];
  costExplorer?: ActivityDependencies['costExplorer'];
  client!: Client;
  projects!: ProjectClient;
  approvalsUrl!: string;
  private worker?: Worker;
  private workerRun?: Promise<void>;
  private nativeConnection?: NativeConnection;
  private server?: Server;
  private readonly seenMail = new Set<string>();
  readonly secret = Buffer.alloc(32, 7);

  constructor(
    readonly home: string = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-test-')),
    readonly taskQueue: string = `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  ) {
    const lines = this.logLines;
    this.logger = createLogger(
      'test',
      new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    );
  }

  async start(): Promise<this> {
    installQuietRuntime();
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through jest, whose global setup starts the dev server');
    this.client = new Client({ connection: await Connection.connect({ address }) });
    this.projects = new ProjectClient(this.client, this.taskQueue);
    this.provider = createLocalProvider({ stateDir: this.home, logger: this.logger, settings: { stopGraceSeconds: 2, ledgerIntervalSeconds: 2 } });
    this.server = createApprovalServer({ backend: this.projects, secret: this.secret, publicUrl: 'http://127.0.0.1:0', logger: this.logger });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.approvalsUrl = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    await this.startWorker();
    return this;
  }

  async startWorker(): Promise<void> {
    const address = process.env.TEMPORAL_ADDRESS!;
    const mailer = createMailer({ stateDir: this.home, env: {} });
    const activities = createActivities({
      provider: this.provider,
      sagemakerProvider: this.sagemakerProvider,
      costExplorer: this.costExplorer,
      mailer,
      secret: this.secret,
      publicUrl: this.approvalsUrl,
      logger: this.logger,
      stopGraceSeconds: 2,
    });
    this.nativeConnection = await NativeConnection.connect({ address });
    this.worker = await createLifecycleWorker({
      connection: this.nativeConnection,
      namespace: 'default',
      taskQueue: this.taskQueue,
      activities,
      workflowBundle: await workflowBundle(),
    });
    this.workerRun = this.worker.run();
  }

  async stopWorker(): Promise<void> {
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun;
    await this.nativeConnection?.close();
    this.worker = undefined;
  }

  async stop(): Promise<void> {
    await this.stopWorker();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await this.client?.connection.close();
  }

  status(projectId: string): Promise<ProjectStatus> {
    return this.projects.getStatus(projectId);
  }

  /** Polls the status until `done` holds; fails with the last status after `timeoutMs`. */
  async waitFor(projectId: string, what: string, done: (s: ProjectStatus) => boolean, timeoutMs = 90_000): Promise<ProjectStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ProjectStatus | undefined;
    while (Date.now() < deadline) {
      try {
        last = await this.status(projectId);
        if (done(last)) return last;
      } catch (err) {
        if (!/not found|no longer running/i.test(String(err))) throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 1)?.slice(0, 3000)}`);
  }

  waitForPhase(projectId: string, phase: Phase, timeoutMs?: number): Promise<ProjectStatus> {
    return this.waitFor(projectId, `phase ${phase}`, (s) => s.phase === phase, timeoutMs);
  }

  /** Waits until the project shows one InProgress training job per benchmark candidate. */
  waitForRunningBenchmark(spec: ProjectSpec, timeoutMs = 60_000): Promise<ProjectStatus> {
    return this.waitFor(
      spec.id,
      'every benchmark job running',
      (s) => s.trainingJobs.length === spec.training.candidates.length && s.trainingJobs.every((j) => j.status === 'InProgress'),
      timeoutMs,
    );
  }

  /** Approves every pending ballot of the open round of `gate` through the CLI's update, as each stakeholder. */
  async approveGate(projectId: string, gate: 'requirements' | 'cost' | 'deployment', timeoutMs = 120_000): Promise<void> {
    const status = await this.waitFor(projectId, `${gate} approvals requested`, (s) => s.pendingGate === gate, timeoutMs);
    const round = Math.max(...status.approvals.filter((a) => a.gate === gate).map((a) => a.round));
    for (const ballot of status.approvals.filter((a) => a.gate === gate && a.round === round && a.decision === '')) {
      await this.projects.decide(projectId, { gate, email: ballot.email, decision: 'approved', channel: 'test' });
    }
  }

  /**
   * Waits until the outbox contains a message whose subject matches `pattern`
   * and returns every subject. Notices go out right after a phase changes,
   * so a test that saw the phase may not see the message yet.
   */
  async waitForSubject(pattern: RegExp, timeoutMs = 15_000): Promise<string[]> {
    const dir = path.join(this.home, 'outbox');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const subjects: string[] = [];
      for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')) : []) {
        subjects.push((await simpleParser(fs.readFileSync(path.join(dir, file)))).subject ?? '');
      }
      if (subjects.some((subject) => pattern.test(subject))) return subjects;
      if (Date.now() > deadline) throw new Error(`no message with a subject matching ${pattern} in ${dir}; subjects: ${subjects.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Returns approval e-mails that arrived in the outbox since the last call. */
  async newApprovalMails(): Promise<ApprovalMail[]> {
    const dir = path.join(this.home, 'outbox');
    if (!fs.existsSync(dir)) return [];
    const mails: ApprovalMail[] = [];
    for (const file of fs.readdirSync(dir).sort()) {
      if (!file.endsWith('.eml') || this.seenMail.has(file)) continue;
      this.seenMail.add(file);
      const parsed = await simpleParser(fs.readFileSync(path.join(dir, file)));
      const text = parsed.text ?? '';
      const link = text.match(/http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9._~-]+/)?.[0] ?? '';
      const to = Array.isArray(parsed.to) ? parsed.to.map((a) => a.text).join(', ') : parsed.to?.text ?? '';
      mails.push({ to, subject: parsed.subject ?? '', link, text });
    }
    return mails;
  }

  /** Waits for `count` approval e-mails with links. */
  async approvalMails(count: number, timeoutMs = 30_000): Promise<ApprovalMail[]> {
    const deadline = Date.now() + timeoutMs;
    const mails: ApprovalMail[] = [];
    while (mails.length < count && Date.now() < deadline) {
      mails.push(...(await this.newApprovalMails()).filter((m) => m.link));
      if (mails.length < count) await new Promise((r) => setTimeout(r, 200));
    }
    if (mails.length < count) throw new Error(`expected ${count} approval e-mails, got ${mails.length}`);
    return mails;
  }
}

/** Submits the approval form behind `link` as a browser would. */
export async function submitDecision(link: string, decision: 'approved' | 'rejected', comment = ''): Promise<{ status: number; body: string }> {
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision, comment }).toString(),
  });
  return { status: response.status, body: await response.text() };
}

/** Lists processes whose command line mentions `needle`, other than this one. */
export function processesMentioning(needle: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) found.push(`${pid} ${cmdline.trim()}`);
    } catch {
      // The process ended while the list was read.
    }
  }
  return found;
}
