/**
 * `mlops sweeper`: the interval parser, the schedule functions against the
 * jest Temporal server, and the compiled CLI as a child process. The child's
 * sweeps run on an in-process worker with the sweeper activities against
 * moto, on a task queue of this file's own (MLOPS_TASK_QUEUE).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createMailer } from '../../activities/mail';
import { createAwsClients } from '../../activities/provider/sagemaker/clients';
import { createSweeperActivities, temporalProjectState } from '../../activities/sweeper';
import { parseInterval, scheduleSweeper, SWEEPER_SCHEDULE_ID, unscheduleSweeper } from '../../client/sweeper';
import { EXIT, MANAGED_BY_VALUE, TAG_KEYS } from '../../domain/constants';
import type { SweepReport } from '../../domain/sweep';
import { installQuietRuntime, workflowBundle } from '../support/harness';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../support/moto';
import { assertBuildIsCurrent, cliEnv, runCli } from './cli-process';

const moto = useMoto();
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-sweeper-cli-'));
const taskQueue = `sweeper-cli-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerExecution';

let sagemaker: SageMakerClient;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;

beforeAll(async () => {
  installQuietRuntime();
  useMotoEnvironment(moto.url);
  sagemaker = allowLocalhostOnly(createAwsClients({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 2 }).sagemaker);
  client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  nativeConnection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: createSweeperActivities({
      sagemaker,
      projectState: temporalProjectState(client),
      mailer: createMailer({ stateDir: home, env: {} }),
      logger: { info: () => undefined, warn: () => undefined },
    }),
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
});

afterAll(async () => {
  await unscheduleSweeper(client).catch(() => undefined);
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await nativeConnection?.close();
  await client?.connection.close();
});

/** Environment of a CLI child that reaches the jest Temporal server and this file's worker. */
function onlineEnv(): NodeJS.ProcessEnv {
  return { ...cliEnv(home, process.env.TEMPORAL_ADDRESS), MLOPS_TASK_QUEUE: taskQueue };
}

async function createOrphanEndpoint(name: string, projectId: string): Promise<void> {
  const tags = [
    { Key: TAG_KEYS.project, Value: projectId },
    { Key: TAG_KEYS.managedBy, Value: MANAGED_BY_VALUE },
  ];
  await sagemaker.send(new CreateModelCommand({ ModelName: `${name}-model`, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: 'serve:1' }, Tags: tags }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${name}-config`,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${name}-model`, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      Tags: tags,
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-config`, Tags: tags }));
}

describe('parseInterval', () => {
  test.each([
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['900s', 900_000],
  ])('%s parses to milliseconds', (text, ms) => {
    expect(parseInterval(text)).toBe(ms);
  });

  test.each(['hourly', '1.5h', '-1h', '1w', ''])('%j rejected as not an interval', (text) => {
    expect(() => parseInterval(text)).toThrow(/is not an interval; expected a whole number and a unit s, m, h or d/);
  });

  test('interval below five minutes rejected', () => {
    expect(() => parseInterval('4m')).toThrow(/'4m' is shorter than the minimum interval of 5 minutes/);
  });
});

describe('sweeper schedule', () => {
  test('create then update keeps one schedule', async () => {
    await unscheduleSweeper(client);

    const created = await scheduleSweeper(client, taskQueue, { everyMs: 3_600_000, input: { dryRun: true } });
    // Both inputs are dry runs, so a sweep the schedule starts during the test deletes nothing in moto.
    const updated = await scheduleSweeper(client, taskQueue, { everyMs: 1_800_000, input: { dryRun: true, reportTo: ['ops@example.com'], graceMinutes: 30 } });

    expect(created).toBe('created');
    expect(updated).toBe('updated');
    const description = await client.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe();
    expect(description.spec.intervals?.map((interval) => interval.every)).toEqual([1_800_000]);
    expect(description.action.type).toBe('startWorkflow');
    expect(description.action.workflowType).toBe('sweeperWorkflow');
    expect(description.action.taskQueue).toBe(taskQueue);
    expect(description.action.args).toEqual([{ dryRun: true, reportTo: ['ops@example.com'], graceMinutes: 30 }]);
  });

  test('unschedule reports a missing schedule', async () => {
    await scheduleSweeper(client, taskQueue, { everyMs: 3_600_000, input: { dryRun: true } });

    expect(await unscheduleSweeper(client)).toBe(true);
    expect(await unscheduleSweeper(client)).toBe(false);
    await expect(client.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});

describe('mlops sweeper', () => {
  beforeAll(() => assertBuildIsCurrent());

  test('run --dry-run prints without deleting', async () => {
    const projectId = `sweep-cli-${Date.now().toString(36)}`;
    await createOrphanEndpoint(`${projectId}-ep`, projectId);

    const result = await runCli(['sweeper', 'run', '--dry-run', '--grace-minutes', '0'], onlineEnv());

    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^Sweeper dry run at \S+: nothing was stopped or deleted\.$/m);
    expect(result.stdout).toContain(`Would delete (1):\n  endpoint ${projectId}-ep (InService): project ${projectId} has no workflow`);
    const endpoint = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: `${projectId}-ep` }));
    expect(endpoint.EndpointStatus).toBe('InService');
  });

  test('run --json prints the report', async () => {
    const projectId = `sweep-json-${Date.now().toString(36)}`;
    await createOrphanEndpoint(`${projectId}-ep`, projectId);

    const result = await runCli(['sweeper', 'run', '--dry-run', '--json'], onlineEnv());

    expect(result.code).toBe(EXIT.ok);
    const report = JSON.parse(result.stdout) as SweepReport;
    expect(report.dryRun).toBe(true);
    expect(report.graceMinutes).toBe(15);
    expect(report.leftAlone.map((item) => [item.name, item.reason])).toEqual([[`${projectId}-ep`, 'within-grace-period']]);
  });

  test('schedule then unschedule through the CLI', async () => {
    const scheduled = await runCli(['sweeper', 'schedule', '--every', '1h', '--dry-run', '--report-to', 'ops@example.com'], onlineEnv());
    expect(scheduled.stderr).toBe('');
    expect(scheduled.code).toBe(EXIT.ok);
    expect(scheduled.stdout).toBe(`created schedule ${SWEEPER_SCHEDULE_ID}: dry runs every 60 minutes\n`);
    const description = await client.schedule.getHandle(SWEEPER_SCHEDULE_ID).describe();
    expect(description.action.args).toEqual([{ dryRun: true, reportTo: ['ops@example.com'] }]);

    const removed = await runCli(['sweeper', 'unschedule'], onlineEnv());
    expect(removed.code).toBe(EXIT.ok);
    expect(removed.stdout).toBe(`deleted schedule ${SWEEPER_SCHEDULE_ID}\n`);
  });

  test('too short interval exits with 2', async () => {
    const result = await runCli(['sweeper', 'schedule', '--every', '1m'], cliEnv(home));

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain("'1m' is shorter than the minimum interval of 5 minutes");
  });

  test('invalid report address exits with 2', async () => {
    const result = await runCli(['sweeper', 'run', '--report-to', 'ops'], cliEnv(home));

    expect(result.code).toBe(EXIT.invalidInput);
    expect(result.stderr).toContain("'ops' is not an e-mail address");
  });
});
