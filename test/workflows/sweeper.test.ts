/**
 * The sweeper workflow end to end. Endpoints and training jobs are created
 * in moto through the real SDK. Project workflows run on the jest Temporal
 * server: running ones on a task queue no worker polls, closed ones
 * terminated. A real worker runs sweeperWorkflow with the sweeper
 * activities and the outbox mailer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateTrainingJobCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { simpleParser } from 'mailparser';
import { createMailer } from '../../activities/mail';
import { createAwsClients } from '../../activities/provider/sagemaker/clients';
import { isNotFound } from '../../activities/provider/sagemaker/errors';
import { createSweeperActivities, temporalProjectState } from '../../activities/sweeper';
import { MANAGED_BY_VALUE, projectWorkflowId, TAG_KEYS } from '../../domain/constants';
import type { SweepReport } from '../../domain/sweep';
import type { sweeperWorkflow, SweeperInput } from '../../workflows/sweeper';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../support/moto';
import { installQuietRuntime, workflowBundle } from '../support/harness';

const moto = useMoto();
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-sweeper-'));
const taskQueue = `sweeper-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
/** A task queue no worker polls: a project workflow started on it stays RUNNING. */
const idleQueue = `${taskQueue}-idle`;
const ROLE = 'arn:aws:iam::123456789012:role/SageMakerExecution';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1';

let sagemaker: SageMakerClient;
let client: Client;
let nativeConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
const projectWorkflows: string[] = [];

beforeAll(async () => {
  installQuietRuntime();
  useMotoEnvironment(moto.url);
  sagemaker = allowLocalhostOnly(createAwsClients({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 2 }).sagemaker);
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through jest, whose global setup starts the dev server');
  client = new Client({ connection: await Connection.connect({ address }) });
  nativeConnection = await NativeConnection.connect({ address });
  const activities = createSweeperActivities({
    sagemaker,
    projectState: temporalProjectState(client),
    mailer: createMailer({ stateDir: home, env: {} }),
    logger: { info: () => undefined, warn: () => undefined },
  });
  worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities,
    workflowBundle: await workflowBundle(),
  });
  workerRun = worker.run();
});

afterAll(async () => {
  for (const workflowId of projectWorkflows) {
    await client?.workflow.getHandle(workflowId).terminate('sweeper test finished').catch(() => undefined);
  }
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await nativeConnection?.close();
  await client?.connection.close();
});

/** Returns a project id unique to this run. */
function projectId(name: string): string {
  return `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
}

function mlopsTags(project: string) {
  return [
    { Key: TAG_KEYS.project, Value: project },
    { Key: TAG_KEYS.step, Value: 'deploy' },
    { Key: TAG_KEYS.managedBy, Value: MANAGED_BY_VALUE },
  ];
}

/** Creates a model, an endpoint config and an endpoint, each with `tags`, as the SageMaker provider does. */
async function createEndpoint(name: string, tags: { Key: string; Value: string }[]): Promise<void> {
  await sagemaker.send(new CreateModelCommand({ ModelName: `${name}-model`, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE }, Tags: tags }));
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: `${name}-config`,
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `${name}-model`, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
      Tags: tags,
    }),
  );
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-config`, Tags: tags }));
}

async function createTrainingJob(name: string, tags: { Key: string; Value: string }[]): Promise<void> {
  await sagemaker.send(
    new CreateTrainingJobCommand({
      TrainingJobName: name,
      RoleArn: ROLE,
      AlgorithmSpecification: { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      OutputDataConfig: { S3OutputPath: 's3://mlops-test-bucket/output' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      Tags: tags,
    }),
  );
}

async function endpointExists(name: string): Promise<boolean> {
  try {
    await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Starts a project workflow that stays RUNNING, because no worker polls its task queue. */
async function startRunningProject(project: string): Promise<void> {
  const workflowId = projectWorkflowId(project);
  projectWorkflows.push(workflowId);
  await client.workflow.start('projectWorkflow', { taskQueue: idleQueue, workflowId, args: [] });
}

async function startClosedProject(project: string): Promise<void> {
  await startRunningProject(project);
  await client.workflow.getHandle(projectWorkflowId(project)).terminate('closed by the sweeper test');
}

function runSweeper(input: SweeperInput): Promise<SweepReport> {
  return client.workflow.execute<typeof sweeperWorkflow>('sweeperWorkflow', {
    taskQueue,
    workflowId: `sweeper-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    args: [input],
  });
}

/** Returns the outbox message whose subject matches `pattern`, parsed. */
async function outboxMessage(pattern: RegExp) {
  const dir = path.join(home, 'outbox');
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort().reverse() : []) {
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, file)));
    if (pattern.test(parsed.subject ?? '')) return parsed;
  }
  throw new Error(`no message with a subject matching ${pattern} in ${dir}`);
}

/** Seeds one endpoint of each kind the sweeper must tell apart, and returns their names. */
async function seedEndpoints() {
  const orphanProject = projectId('sweep-orphan');
  const closedProject = projectId('sweep-closed');
  const runningProject = projectId('sweep-running');
  await startClosedProject(closedProject);
  await startRunningProject(runningProject);

  const names = {
    orphan: `${orphanProject}-ep`,
    closed: `${closedProject}-ep`,
    running: `${runningProject}-ep`,
    untagged: `${orphanProject}-untagged-ep`,
    orphanJob: `${orphanProject}-bench-0`,
  };
  await createEndpoint(names.orphan, mlopsTags(orphanProject));
  await createEndpoint(names.closed, mlopsTags(closedProject));
  await createEndpoint(names.running, mlopsTags(runningProject));
  // Carries a project tag but not the managed-by tag, so this product did not create it.
  await createEndpoint(names.untagged, [{ Key: TAG_KEYS.project, Value: orphanProject }]);
  // moto completes a training job at once, so this one no longer bills and is not even listed.
  await createTrainingJob(names.orphanJob, mlopsTags(orphanProject));
  return { orphanProject, closedProject, runningProject, names };
}

test('The sweeper removes a tagged endpoint left without a project', async () => {
  const { names, runningProject } = await seedEndpoints();

  const report = await runSweeper({ dryRun: false, graceMinutes: 0, reportTo: ['ops@example.com'] });

  expect(await endpointExists(names.orphan)).toBe(false);
  expect(await endpointExists(names.closed)).toBe(false);
  expect(await endpointExists(names.running)).toBe(true);
  expect(await endpointExists(names.untagged)).toBe(true);
  const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: names.orphanJob }));
  expect(job.TrainingJobStatus).toBe('Completed');

  expect(report.dryRun).toBe(false);
  expect(report.failed).toBe(0);
  expect(report.found).toEqual({ trainingJobs: 0, endpoints: 4, unmanaged: 1 });
  expect(report.actions.map((a) => [a.name, a.action, a.outcome]).sort()).toEqual(
    [
      [names.closed, 'delete-endpoint', 'deleted'],
      [names.orphan, 'delete-endpoint', 'deleted'],
    ].sort(),
  );
  expect(report.leftAlone).toEqual([
    expect.objectContaining({ name: names.running, projectId: runningProject, reason: 'project-running' }),
  ]);
  expect(report.mail).toEqual({ to: ['ops@example.com'] });

  const mail = await outboxMessage(/Sweeper: 2 resources stopped or deleted/);
  expect(mail.subject).toBe('[mlops] Sweeper: 2 resources stopped or deleted');
  expect(mail.text).toContain(`Deleted (2):`);
  expect(mail.text).toContain(`endpoint ${names.orphan} (InService)`);
  expect(mail.text).toContain(`endpoint ${names.closed} (InService)`);
  expect(mail.text).toContain(`Left alone (1):\n  endpoint ${names.running} (InService)`);
  expect(mail.text).not.toContain(names.untagged);
});

test('dry run deletes nothing', async () => {
  const { names, orphanProject } = await seedEndpoints();

  const report = await runSweeper({ dryRun: true, graceMinutes: 0, reportTo: ['ops@example.com'] });

  for (const name of [names.orphan, names.closed, names.running, names.untagged]) {
    expect(await endpointExists(name)).toBe(true);
  }
  expect(report.dryRun).toBe(true);
  expect(report.actions.map((a) => [a.name, a.outcome]).sort()).toEqual(
    [
      [names.closed, 'would-delete'],
      [names.orphan, 'would-delete'],
    ].sort(),
  );
  const mail = await outboxMessage(/Sweeper dry run: 2 resources to stop or delete/);
  expect(mail.text).toContain('nothing was stopped or deleted');
  expect(mail.text).toContain(`Would delete (2):`);
  expect(mail.text).toContain(`endpoint ${names.orphan} (InService): project ${orphanProject} has no workflow`);
});

test('grace period spares new endpoints', async () => {
  const { names } = await seedEndpoints();

  const report = await runSweeper({ dryRun: false });

  expect(await endpointExists(names.orphan)).toBe(true);
  expect(await endpointExists(names.closed)).toBe(true);
  expect(report.graceMinutes).toBe(15);
  expect(report.actions).toEqual([]);
  expect(report.leftAlone.filter((item) => item.reason === 'within-grace-period').map((item) => item.name).sort()).toEqual([names.closed, names.orphan].sort());
  expect(report.mail).toBeUndefined();
});

test('second sweep finds nothing left', async () => {
  const { names } = await seedEndpoints();
  await runSweeper({ dryRun: false, graceMinutes: 0 });

  const again = await runSweeper({ dryRun: false, graceMinutes: 0 });

  expect(again.actions).toEqual([]);
  expect(again.failed).toBe(0);
  expect(await endpointExists(names.running)).toBe(true);
});

test('negative grace fails the workflow', async () => {
  const error = await runSweeper({ dryRun: true, graceMinutes: -5 }).catch((err: Error) => err);

  expect(error).toBeInstanceOf(Error);
  expect((error as Error & { cause?: Error }).cause?.message).toBe('invalid graceMinutes -5: expected a number of minutes of 0 or more');
});
