/**
 * Process bootstrap for `mlops dev`, `mlops worker` and `mlops approvals
 * serve`: reads the environment, wires providers into activities, starts
 * the pieces and stops them on SIGINT/SIGTERM.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createMailer } from '../activities/mail';
import { createLocalProvider, type LocalProvider } from '../activities/provider/local';
import { sageMakerProviders } from '../activities/provider/registry';
import { awsClientConfig } from '../activities/provider/sagemaker/clients';
import { createCostExplorerClient, createCostExplorerReader } from '../activities/provider/sagemaker/costs';
import { createSweeperActivities, temporalProjectState } from '../activities/sweeper';
import { createLifecycleWorker, connectWorker } from '../workers/worker';
import { startDevServer, type DevServer } from '../workers/temporal-server';
import { installRuntimeLogger } from '../workers/runtime-logger';
import { createApprovalServer } from './approvals/server';
import { loadOrCreateSecret } from './approvals/tokens';
import { CliError, invalidInput } from './errors';
import { EXIT } from '../domain/constants';
import { createLogger, type Logger } from './logger';
import { loadPriceTable } from './prices';
import { ProjectClient } from './projects';
import { connectClient, temporalSettings } from './temporal';

/** Seconds a local training job gets between SIGTERM and SIGKILL; the cost cap counts them as billed. */
const LOCAL_STOP_GRACE_SECONDS = 5;

/** Returns the state folder: $MLOPS_HOME, default ./.mlops. */
export function mlopsHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MLOPS_HOME || '.mlops');
}

export function publicUrlFor(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return (env.MLOPS_PUBLIC_URL || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
}

/** Creates the state folder, or fails with a message naming MLOPS_HOME when it cannot be a folder. */
export function ensureHome(home: string): void {
  try {
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
  } catch (err) {
    throw new CliError(
      `the state folder ${home} (MLOPS_HOME) cannot be used: ${(err as NodeJS.ErrnoException).code ?? String(err)}; point MLOPS_HOME at a folder you can write`,
      EXIT.failure,
      { cause: err },
    );
  }
}

function logDestination(home: string, name: string): fs.WriteStream {
  ensureHome(home);
  const dir = path.join(home, 'logs');
  return fs.createWriteStream(path.join(dir, `${name}.log`), { flags: 'a' });
}

export interface RunningWorker {
  worker: Worker;
  provider: LocalProvider;
  run: Promise<void>;
  stop(): Promise<void>;
}

/** Wires the local provider, the mailer and the approval-link signer into a worker. */
export async function startWorker(options: {
  home: string;
  address: string;
  namespace: string;
  publicUrl: string;
  logger: Logger;
  taskQueue?: string;
}): Promise<RunningWorker> {
  const { home, logger } = options;
  installRuntimeLogger(logger.child({ component: 'temporal-sdk' }));
  const secret = await loadOrCreateSecret(path.join(home, 'approval-secret'));
  const provider = createLocalProvider({
    stateDir: home,
    logger: logger.child({ component: 'local-provider' }),
    settings: { stopGraceSeconds: LOCAL_STOP_GRACE_SECONDS, ledgerIntervalSeconds: 10 },
  });
  const costExplorerClient = createCostExplorerClient();
  const mailer = createMailer({ stateDir: home, smtpUrl: process.env.MLOPS_SMTP_URL, from: process.env.MLOPS_MAIL_FROM });
  const activities = createActivities({
    provider,
    sagemakerProvider: sageMakerProviders({ logger: logger.child({ component: 'sagemaker-provider' }) }),
    costExplorer: (settings) =>
      createCostExplorerReader({
        client: costExplorerClient,
        settings,
        callLogPath: path.join(home, 'cost-explorer-calls.json'),
        logger: logger.child({ component: 'cost-explorer' }),
      }),
    mailer,
    secret,
    publicUrl: options.publicUrl,
    logger,
    stopGraceSeconds: LOCAL_STOP_GRACE_SECONDS,
    priceTable: loadPriceTable(home),
  });
  // The sweeper reads project states through a client; AWS is only called when a sweep runs.
  const projectsClient = await connectClient({ address: options.address, namespace: options.namespace });
  const sweeperActivities = createSweeperActivities({
    sagemaker: new SageMakerClient(awsClientConfig()),
    projectState: temporalProjectState(projectsClient),
    mailer,
    logger: logger.child({ component: 'sweeper' }),
  });
  const connection = await connectWorker(options.address);
  const worker = await createLifecycleWorker({
    connection,
    namespace: options.namespace,
    activities,
    sweeperActivities,
    taskQueue: options.taskQueue,
  });
  const run = worker.run().finally(() => Promise.all([connection.close(), projectsClient.connection.close()]));
  return {
    worker,
    provider,
    run,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch((err) => logger.error({ err }, 'worker stopped with an error'));
    },
  };
}

export async function startApprovals(options: {
  home: string;
  port: number;
  publicUrl: string;
  address: string;
  namespace: string;
  logger: Logger;
}): Promise<Server> {
  const secret = await loadOrCreateSecret(path.join(options.home, 'approval-secret'));
  const client = await connectClient({ address: options.address, namespace: options.namespace });
  const server = createApprovalServer({ backend: new ProjectClient(client), secret, publicUrl: options.publicUrl, logger: options.logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} is already in use; choose another with --approvals-port`, { cause: err })
          : err,
      ),
    );
    server.listen(options.port, process.env.MLOPS_APPROVALS_HOST || '127.0.0.1', () => resolve());
  });
  server.on('close', () => void client.connection.close());
  return server;
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export interface EmbeddedStack {
  temporalAddress: string;
  temporalUiUrl?: string;
  approvalsUrl: string;
  outboxDir: string;
  logsDir: string;
  stop(): Promise<void>;
}

/** Starts the Temporal dev server (unless TEMPORAL_ADDRESS is set), a worker and the approval server. */
export async function startEmbeddedStack(options: {
  home: string;
  temporalPort: number;
  approvalsPort: number;
  logger: Logger;
}): Promise<EmbeddedStack> {
  const { home, logger } = options;
  ensureHome(home);
  const settings = temporalSettings();
  let devServer: DevServer | undefined;
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    const uiPort = options.temporalPort + 1000;
    if (uiPort > 65535) {
      throw invalidInput(`--temporal-port ${options.temporalPort} leaves no port for the Temporal UI, which listens on that port + 1000; choose a port up to 64535`);
    }
    devServer = await startDevServer({
      port: options.temporalPort,
      uiPort,
      dbFile: path.join(home, 'temporal.sqlite'),
      logFile: path.join(home, 'logs', 'temporal.log'),
    });
    address = devServer.address;
  }
  const publicUrl = publicUrlFor(options.approvalsPort);
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const worker = await startWorker({
      home,
      address,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      publicUrl,
      logger: logger.child({ component: 'worker' }),
    }).catch(
      (err: Error) => {
        if (devServer) throw err;
        throw new Error(
          `${err.message}. TEMPORAL_ADDRESS is set to ${address}, so no server was started and --temporal-port is ignored; unset TEMPORAL_ADDRESS to start the embedded server`,
          { cause: err },
        );
      },
    );
    // Ctrl-C stops every child process: the worker first, then the local jobs and endpoints, which the next start resumes.
    stoppers.push(async () => {
      await worker.stop();
      await worker.provider.suspend();
    });
    const server = await startApprovals({
      home,
      port: options.approvalsPort,
      publicUrl,
      address,
      namespace: settings.namespace,
      logger: logger.child({ component: 'approvals' }),
    });
    stoppers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop();
    await devServer?.stop();
    throw err;
  }
  return {
    temporalAddress: address,
    temporalUiUrl: devServer?.uiUrl,
    approvalsUrl: publicUrl,
    outboxDir: path.join(home, 'outbox'),
    logsDir: path.join(home, 'logs'),
    async stop() {
      for (const stop of stoppers.reverse()) await stop();
      await devServer?.stop();
    },
  };
}

export async function runDev(options: { home: string; temporalPort: number; approvalsPort: number }): Promise<void> {
  const logger = createLogger('mlops-dev', logDestination(options.home, 'dev'));
  // Listen before anything starts: a signal during start-up must still stop the Temporal server spawned by then.
  let early: NodeJS.Signals | undefined;
  const signalled = untilSignal().then((signal) => (early ??= signal));
  const stack = await startEmbeddedStack({ ...options, logger });
  if (early) {
    process.stdout.write(`received ${early} while starting, stopping\n`);
    await stack.stop();
    return;
  }
  const lines = [
    `Temporal server  ${stack.temporalAddress}${stack.temporalUiUrl ? '' : ' (TEMPORAL_ADDRESS is set, so --temporal-port is ignored)'}`,
    stack.temporalUiUrl ? `Temporal UI      ${stack.temporalUiUrl}` : undefined,
    `approval server  ${stack.approvalsUrl}`,
    `mail outbox      ${stack.outboxDir}`,
    `logs             ${stack.logsDir}`,
    'mlops dev is ready; press Ctrl-C to stop',
  ];
  process.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
  const signal = await signalled;
  process.stdout.write(`received ${signal}, stopping\n`);
  await stack.stop();
}

export async function runWorker(options: { home: string }): Promise<void> {
  const settings = temporalSettings();
  const logger = createLogger('mlops-worker');
  const port = Number(process.env.MLOPS_APPROVALS_PORT || 8787);
  const worker = await startWorker({
    home: options.home,
    address: settings.address,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    publicUrl: publicUrlFor(port),
    logger,
  });
  logger.info({ address: settings.address, namespace: settings.namespace, taskQueue: settings.taskQueue }, 'worker started');
  void untilSignal().then(() => worker.stop());
  await worker.run;
}

export async function runApprovalServer(options: { home: string; port: number }): Promise<void> {
  const settings = temporalSettings();
  const logger = createLogger('mlops-approvals');
  const server = await startApprovals({ home: options.home, port: options.port, publicUrl: publicUrlFor(options.port), ...settings, logger });
  logger.info({ port: (server.address() as AddressInfo).port }, 'approval server listening');
  await untilSignal();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
