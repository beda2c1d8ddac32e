/**
 * Starts the AWS emulator moto in server mode (`.venv/bin/moto_server`,
 * installed by scripts/setup.js) on 127.0.0.1 for one test file. Tests point
 * the AWS SDK clients at `url` with dummy credentials, so no request leaves
 * the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../../workers/temporal-server';

const MOTO_SERVER = path.resolve(__dirname, '../../.venv/bin/moto_server');
const START_TIMEOUT_MS = 30_000;

export interface MotoServer {
  /** Base URL, such as http://127.0.0.1:41234. */
  readonly url: string;
  /** Deletes every resource stored in moto (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sets the environment the AWS SDK reads so that clients built without an
 * explicit endpoint also reach moto: dummy credentials, us-east-1,
 * AWS_ENDPOINT_URL and no instance-metadata lookups.
 */
export function useMotoEnvironment(url: string): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_SESSION_TOKEN = 'testing';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_DEFAULT_REGION = 'us-east-1';
  process.env.AWS_ENDPOINT_URL = url;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
}

/** The part of an AWS SDK v3 client that takes middleware. */
interface MiddlewareClient {
  middlewareStack: { add(middleware: unknown, options: { step: 'finalizeRequest'; name: string }): void };
}

/**
 * Makes `client` throw before sending any request whose host is not
 * 127.0.0.1, so that a test whose endpoint set-up is wrong fails instead of
 * reaching AWS. Returns the client.
 */
export function allowLocalhostOnly<T>(client: T): T {
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next: (args: { request: { hostname?: string } }) => Promise<unknown>) => async (args: { request: { hostname?: string } }) => {
      const host = args.request.hostname;
      if (host !== '127.0.0.1') throw new Error(`test AWS client tried to reach ${host ?? 'an unknown host'}; only 127.0.0.1 is allowed`);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'allowLocalhostOnly' },
  );
  return client;
}

/** Starts moto on a free port of 127.0.0.1 and resolves once it responds to HTTP requests. */
export async function startMoto(): Promise<MotoServer> {
  if (!fs.existsSync(MOTO_SERVER)) {
    throw new Error(`${MOTO_SERVER} is missing: run \`node scripts/setup.js\` to install moto[server] into .venv`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  try {
    await waitUntilAnswering(url, child, () => stderr);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    url,
    reset: async () => {
      const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset at ${url} failed with HTTP ${response.status}`);
    },
    stop: () => stopChild(child),
  };
}

async function waitUntilAnswering(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`moto_server exited with code ${child.exitCode} before answering on ${url}: ${stderr()}`);
    }
    try {
      const response = await fetch(`${url}/moto-api/`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${url} within ${START_TIMEOUT_MS} ms: ${stderr()}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Registers jest hooks that start one moto server for the test file, reset
 * it before each test and stop it afterwards. Returns the server; its `url`
 * is readable inside tests and hooks, not at module load.
 */
export function useMoto(): MotoServer {
  let server: MotoServer | undefined;
  const started = (): MotoServer => {
    if (!server) throw new Error('moto is not running yet: read the server inside a test or hook');
    return server;
  };
  beforeAll(async () => {
    server = await startMoto();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await started().reset();
  });
  return {
    get url() {
      return started().url;
    },
    reset: () => started().reset(),
    stop: () => started().stop(),
  };
}
