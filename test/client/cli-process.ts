/**
 * Runs the compiled `mlops` command (bin/mlops.js over dist/) as a child
 * process, as a user would, and captures its output and exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { canConnect } from '../../workers/temporal-server';
import path from 'node:path';
import type { ProjectStatus } from '../../domain/status';
import { freePort } from '../../workers/temporal-server';
import { REPO_ROOT } from '../support/harness';

export const MLOPS_BIN = path.join(REPO_ROOT, 'bin', 'mlops.js');

/** Source folders that compile into dist/. */
const SOURCE_DIRS = ['client', 'domain', 'workflows', 'activities', 'workers'];

export interface CliResult {
  /** Exit code, or null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Throws unless dist/ contains a build at least as new as every TypeScript
 * source, so the tests never pass or fail on stale compiled code.
 */
export function assertBuildIsCurrent(): void {
  const stale: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const source of listTypeScript(path.join(REPO_ROOT, dir))) {
      const relative = path.relative(REPO_ROOT, source);
      const compiled = path.join(REPO_ROOT, 'dist', relative.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(source).mtimeMs) stale.push(relative);
    }
  }
  if (stale.length > 0) {
    throw new Error(`dist/ is missing or older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ` and ${stale.length - 5} more` : ''}; run \`npm run build\` first`);
  }
}

function listTypeScript(dir: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTypeScript(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

/** Environment of a CLI child: this process's, with the state folder and the Temporal server to use. */
export function cliEnv(home: string, temporalAddress?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MLOPS_HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
  // Settings of the developer's shell that would send mail, change links or print stacks.
  for (const name of ['MLOPS_TASK_QUEUE', 'MLOPS_DEBUG', 'MLOPS_PRICES', 'MLOPS_SMTP_URL', 'MLOPS_PUBLIC_URL', 'MLOPS_APPROVALS_HOST', 'MLOPS_APPROVALS_PORT', 'TEMPORAL_NAMESPACE']) {
    delete env[name];
  }
  if (temporalAddress) env.TEMPORAL_ADDRESS = temporalAddress;
  else delete env.TEMPORAL_ADDRESS;
  return env;
}

/** Runs `mlops ARGS` to completion; rejects with the output so far when it outlives `timeoutMs`. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlops ${args.join(' ')} did not exit within ${timeoutMs / 1000} s\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `mlops ARGS`, expects exit code 0 and parses stdout as JSON. */
export async function runCliJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli(args, env);
  if (result.code !== 0) throw new Error(`mlops ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/**
 * Polls `mlops project status ID --json` until `done` returns true, and
 * returns that status. Fails with the last status or error after `timeoutMs`.
 */
export async function waitForCliStatus(
  projectId: string,
  env: NodeJS.ProcessEnv,
  description: string,
  done: (status: ProjectStatus) => boolean,
  timeoutMs = 60_000,
): Promise<ProjectStatus> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const result = await runCli(['project', 'status', projectId, '--json'], env);
    if (result.code === 0) {
      const status = JSON.parse(result.stdout) as ProjectStatus;
      if (done(status)) return status;
      last = JSON.stringify(status).slice(0, 3000);
    } else {
      last = `exit ${result.code}: ${result.stderr.trim()}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${description} of project ${projectId}; last: ${last}`);
}

/** A long-running `mlops` child, such as `mlops dev`, with its output so far. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [MLOPS_BIN, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk) => (this.stdout += String(chunk)));
    this.child.stderr!.on('data', (chunk) => (this.stderr += String(chunk)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for a stdout line matching `pattern`; fails early when the process exits first. */
  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.stdout.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (!this.running) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reason = this.running ? `nothing matched within ${timeoutMs / 1000} s` : `it exited with ${this.child.exitCode ?? this.child.signalCode}`;
    throw new Error(`expected a line matching ${pattern} from mlops, but ${reason}\nstdout: ${this.stdout.slice(-3000)}\nstderr: ${this.stderr.slice(-3000)}`);
  }

  /** Sends `signal` and waits for the exit; returns undefined when it outlives `timeoutMs`. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (this.running) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    const result = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return result;
  }
}

/** Returns whether something accepts TCP connections on 127.0.0.1:`port`. */
export const isListening = canConnect;

/** Returns whether this process can bind 127.0.0.1:`port` now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Returns a free port P below 64536 whose UI port P + 1000, as `mlops dev` picks it, is free too. */
export async function freePortWithUiPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port + 1000 <= 65535 && (await canBind(port + 1000))) return port;
  }
  throw new Error('found no free port P on 127.0.0.1 with P + 1000 free as well after 50 tries');
}
