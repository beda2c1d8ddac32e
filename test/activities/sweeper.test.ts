/**
 * The sweeper activities. Sequences moto cannot produce (a training job
 * InProgress, an endpoint Deleting or Creating, races between a describe and
 * a stop) go through a real SageMakerClient whose `send` is replaced, so no
 * request leaves the process. `temporalProjectState` runs against the jest
 * Temporal dev server.
 */
import { Client, Connection } from '@temporalio/client';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createSweeperActivities, temporalProjectState, type SweeperLogger } from '../../activities/sweeper';
import type { Mailer } from '../../activities/mail';
import { MANAGED_BY_VALUE, projectWorkflowId, TAG_KEYS } from '../../domain/constants';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

type Answer = (input: Record<string, unknown>) => unknown;

/** Failure types the sweeper workflow's retry policy does not retry. */
const NON_RETRYABLE = ['InvalidInput', 'QuotaExceeded'];

const silentLogger: SweeperLogger = { info: () => undefined, warn: () => undefined };

/** Builds a SageMakerClient whose `send` replies by command name and records each call, without opening a connection. */
function fakeSageMaker(answers: Record<string, Answer>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = new SageMakerClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const name = command.constructor.name.replace(/Command$/, '');
    calls.push({ command: name, input: { ...command.input } });
    const answer = answers[name];
    if (!answer) throw new Error(`the fake SageMaker client has no answer for ${name}`);
    return answer(command.input);
  };
  Object.assign(client, { send });
  return { client, calls, commands: () => calls.map((call) => call.command) };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

function activitiesWith(sagemaker: SageMakerClient) {
  return createSweeperActivities({
    sagemaker,
    projectState: async () => ({ state: 'missing' }),
    mailer: {} as Mailer,
    logger: silentLogger,
  });
}

const CREATED = new Date('2026-03-01T10:00:00Z');
const arn = (kind: string, name: string) => `arn:aws:sagemaker:us-east-1:123456789012:${kind}/${name}`;
const managedTags = (projectId: string) => [
  { Key: TAG_KEYS.project, Value: projectId },
  { Key: TAG_KEYS.managedBy, Value: MANAGED_BY_VALUE },
];

describe('listTaggedResources', () => {
  test('pages through every list call', async () => {
    const jobPages: Record<string, unknown[]> = {
      InProgress: [
        { TrainingJobSummaries: [{ TrainingJobName: 'job-a', TrainingJobArn: arn('training-job', 'job-a'), TrainingJobStatus: 'InProgress', CreationTime: CREATED }], NextToken: 'p2' },
        { TrainingJobSummaries: [{ TrainingJobName: 'job-b', TrainingJobArn: arn('training-job', 'job-b'), TrainingJobStatus: 'InProgress', CreationTime: CREATED }] },
      ],
      Stopping: [{ TrainingJobSummaries: [{ TrainingJobName: 'job-c', TrainingJobArn: arn('training-job', 'job-c'), TrainingJobStatus: 'Stopping', CreationTime: CREATED }] }],
    };
    const endpointPages = [
      { Endpoints: [{ EndpointName: 'ep-a', EndpointArn: arn('endpoint', 'ep-a'), EndpointStatus: 'InService', CreationTime: CREATED }], NextToken: 'e2' },
      { Endpoints: [{ EndpointName: 'ep-b', EndpointArn: arn('endpoint', 'ep-b'), EndpointStatus: 'Failed', CreationTime: CREATED }] },
    ];
    const tagPages: Record<string, unknown[]> = {
      [arn('training-job', 'job-a')]: [{ Tags: [managedTags('alpha')[0]], NextToken: 't2' }, { Tags: [managedTags('alpha')[1]] }],
      [arn('training-job', 'job-b')]: [{ Tags: [] }],
      [arn('training-job', 'job-c')]: [{ Tags: managedTags('gamma') }],
      [arn('endpoint', 'ep-a')]: [{ Tags: managedTags('alpha') }],
      [arn('endpoint', 'ep-b')]: [{ Tags: [{ Key: 'team', Value: 'search' }] }],
    };
    const fake = fakeSageMaker({
      ListTrainingJobs: (input) => jobPages[input.StatusEquals as string].shift(),
      ListEndpoints: () => endpointPages.shift(),
      ListTags: (input) => tagPages[input.ResourceArn as string].shift(),
    });

    const resources = await activitiesWith(fake.client).listTaggedResources();

    expect(resources.map((r) => [r.kind, r.name, r.status, r.projectId, r.managedBy])).toEqual([
      ['training-job', 'job-a', 'InProgress', 'alpha', MANAGED_BY_VALUE],
      ['training-job', 'job-b', 'InProgress', undefined, undefined],
      ['training-job', 'job-c', 'Stopping', 'gamma', MANAGED_BY_VALUE],
      ['endpoint', 'ep-a', 'InService', 'alpha', MANAGED_BY_VALUE],
      ['endpoint', 'ep-b', 'Failed', undefined, undefined],
    ]);
    expect(resources[0].createdAt).toBe(CREATED.toISOString());
    const jobStatuses = fake.calls.filter((c) => c.command === 'ListTrainingJobs').map((c) => c.input.StatusEquals);
    expect(jobStatuses).toEqual(['InProgress', 'InProgress', 'Stopping']);
    expect(fake.calls.filter((c) => c.command === 'ListEndpoints')).toHaveLength(2);
    expect(fake.calls.filter((c) => c.command === 'ListTags')).toHaveLength(6);
  });

  test('resource deleted while listing is skipped', async () => {
    const fake = fakeSageMaker({
      ListTrainingJobs: () => ({ TrainingJobSummaries: [] }),
      ListEndpoints: () => ({
        Endpoints: [
          { EndpointName: 'gone', EndpointArn: arn('endpoint', 'gone'), EndpointStatus: 'Deleting', CreationTime: CREATED },
          { EndpointName: 'kept', EndpointArn: arn('endpoint', 'kept'), EndpointStatus: 'InService', CreationTime: CREATED },
        ],
      }),
      ListTags: (input) => {
        if (input.ResourceArn === arn('endpoint', 'gone')) throw awsError('ValidationException', `Could not find endpoint "${arn('endpoint', 'gone')}".`);
        return { Tags: managedTags('alpha') };
      },
    });

    const resources = await activitiesWith(fake.client).listTaggedResources();

    expect(resources.map((r) => r.name)).toEqual(['kept']);
  });

  test('throttled listing stays retryable', async () => {
    const fake = fakeSageMaker({
      ListTrainingJobs: () => {
        throw awsError('ThrottlingException', 'Rate exceeded');
      },
    });

    const error = await activitiesWith(fake.client).listTaggedResources().catch((err: Error) => err);

    expect(error).toBeInstanceOf(Error);
    expect(NON_RETRYABLE).not.toContain((error as Error).name);
  });
});

describe('applySweepAction stop-training-job', () => {
  const job = (status: string) => ({ TrainingJobName: 'job-a', TrainingJobStatus: status });

  test('stops an InProgress job once', async () => {
    const fake = fakeSageMaker({ DescribeTrainingJob: () => job('InProgress'), StopTrainingJob: () => ({}) });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'stop-training-job', name: 'job-a' });

    expect(result).toEqual({ outcome: 'stopped' });
    expect(fake.commands()).toEqual(['DescribeTrainingJob', 'StopTrainingJob']);
    expect(fake.calls[1].input).toEqual({ TrainingJobName: 'job-a' });
  });

  test.each(['Stopping', 'Stopped', 'Completed', 'Failed'])('%s job is not stopped again', async (status) => {
    const fake = fakeSageMaker({ DescribeTrainingJob: () => job(status) });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'stop-training-job', name: 'job-a' });

    expect(result).toEqual({ outcome: 'already-done', detail: `the training job is ${status}` });
    expect(fake.commands()).toEqual(['DescribeTrainingJob']);
  });

  test('missing job counts as done', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => {
        throw awsError('ValidationException', "Could not find training job 'arn:aws:sagemaker:us-east-1:123456789012:training-job/job-a'.");
      },
    });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'stop-training-job', name: 'job-a' });

    expect(result).toEqual({ outcome: 'already-done', detail: 'the training job no longer exists' });
  });

  test('job ending during stop counts as done', async () => {
    const states = [job('InProgress'), job('Completed')];
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => states.shift(),
      StopTrainingJob: () => {
        throw awsError('ValidationException', 'The request was rejected because the training job is in status Completed.');
      },
    });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'stop-training-job', name: 'job-a' });

    expect(result).toEqual({ outcome: 'already-done', detail: 'the training job is Completed' });
    expect(fake.commands()).toEqual(['DescribeTrainingJob', 'StopTrainingJob', 'DescribeTrainingJob']);
  });

  test('throttled stop of running job throws', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => job('InProgress'),
      StopTrainingJob: () => {
        throw awsError('ThrottlingException', 'Rate exceeded');
      },
    });

    const error = await activitiesWith(fake.client)
      .applySweepAction({ action: 'stop-training-job', name: 'job-a' })
      .catch((err: Error) => err);

    expect(error).toBeInstanceOf(Error);
    expect(NON_RETRYABLE).not.toContain((error as Error).name);
  });
});

describe('applySweepAction delete-endpoint', () => {
  const endpoint = (status: string) => ({ EndpointName: 'ep-a', EndpointStatus: status });

  test.each(['InService', 'Failed', 'OutOfService'])('deletes %s endpoint', async (status) => {
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint(status), DeleteEndpoint: () => ({}) });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'delete-endpoint', name: 'ep-a' });

    expect(result).toEqual({ outcome: 'deleted' });
    expect(fake.commands()).toEqual(['DescribeEndpoint', 'DeleteEndpoint']);
    expect(fake.calls[1].input).toEqual({ EndpointName: 'ep-a' });
  });

  test('deleting endpoint is not deleted twice', async () => {
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint('Deleting') });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'delete-endpoint', name: 'ep-a' });

    expect(result).toEqual({ outcome: 'already-done', detail: 'the endpoint is already being deleted' });
    expect(fake.commands()).toEqual(['DescribeEndpoint']);
  });

  test('endpoint gone before delete counts as done', async () => {
    const notFound = () => {
      throw awsError('ValidationException', `Could not find endpoint "${arn('endpoint', 'ep-a')}".`);
    };
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint('InService'), DeleteEndpoint: notFound });

    const result = await activitiesWith(fake.client).applySweepAction({ action: 'delete-endpoint', name: 'ep-a' });

    expect(result).toEqual({ outcome: 'already-done', detail: 'the endpoint no longer exists' });
  });

  test('creating endpoint throws retryable ResourceInUse', async () => {
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint('Creating') });

    const error = await activitiesWith(fake.client)
      .applySweepAction({ action: 'delete-endpoint', name: 'ep-a' })
      .catch((err: Error) => err);

    expect((error as Error).name).toBe('ResourceInUse');
    expect((error as Error).message).toMatch(/endpoint ep-a is Creating/);
    expect(fake.commands()).toEqual(['DescribeEndpoint']);
  });

  test('rejected delete becomes InvalidInput', async () => {
    const fake = fakeSageMaker({
      DescribeEndpoint: () => endpoint('InService'),
      DeleteEndpoint: () => {
        throw awsError('ValidationException', 'Endpoint ep-a is protected');
      },
    });

    const error = await activitiesWith(fake.client)
      .applySweepAction({ action: 'delete-endpoint', name: 'ep-a' })
      .catch((err: Error) => err);

    expect((error as Error).name).toBe('InvalidInput');
    expect((error as Error).message).toMatch(/DeleteEndpoint of endpoint ep-a was rejected by SageMaker: Endpoint ep-a is protected/);
  });
});

test('unknown sweep action is InvalidInput', async () => {
  const fake = fakeSageMaker({});

  const error = await activitiesWith(fake.client)
    .applySweepAction({ action: 'delete-model' as never, name: 'm-1' })
    .catch((err: Error) => err);

  expect((error as Error).name).toBe('InvalidInput');
  expect((error as Error).message).toBe("unknown sweep action 'delete-model': expected stop-training-job or delete-endpoint");
  expect(fake.calls).toEqual([]);
});

describe('temporalProjectState', () => {
  let client: Client;
  /** A task queue no worker polls, so a workflow started on it stays RUNNING. */
  const idleQueue = `sweeper-idle-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const suffix = Date.now().toString(36);
  const started: string[] = [];

  beforeAll(async () => {
    client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  });

  afterAll(async () => {
    for (const workflowId of started) {
      await client.workflow.getHandle(workflowId).terminate('test finished').catch(() => undefined);
    }
    await client.connection.close();
  });

  async function startProject(projectId: string) {
    const workflowId = projectWorkflowId(projectId);
    started.push(workflowId);
    return client.workflow.start('projectWorkflow', { taskQueue: idleQueue, workflowId, args: [] });
  }

  test('open workflow reads as running', async () => {
    await startProject(`sweep-running-${suffix}`);

    await expect(temporalProjectState(client)(`sweep-running-${suffix}`)).resolves.toEqual({ state: 'running' });
  });

  test('terminated workflow reads as closed', async () => {
    const handle = await startProject(`sweep-closed-${suffix}`);
    await handle.terminate('closed by the test');
    const closeTime = (await handle.describe()).closeTime;

    const state = await temporalProjectState(client)(`sweep-closed-${suffix}`);

    expect(state).toEqual({ state: 'closed', workflowStatus: 'TERMINATED', closedAt: closeTime?.toISOString() });
  });

  test('unknown workflow id reads as missing', async () => {
    await expect(temporalProjectState(client)(`sweep-never-started-${suffix}`)).resolves.toEqual({ state: 'missing' });
  });

  test('unknown namespace throws, not missing', async () => {
    const elsewhere = new Client({ connection: client.connection, namespace: `no-such-namespace-${suffix}` });

    await expect(temporalProjectState(elsewhere)(`sweep-running-${suffix}`)).rejects.toThrow(/namespace/i);
  });
});
