/**
 * Sequences moto cannot produce, driven through an in-process fake of the
 * SageMaker client (a `send` function that replies by command name). moto
 * 5.2.5 completes a training job at once and never reports InProgress,
 * Stopping or BillableTimeInSeconds; it has no UpdateEndpoint, keeps every
 * endpoint InService, and never returns ResourceLimitExceeded or
 * ThrottlingException. Throttling is tested through the real SDK client
 * against a small HTTP server on 127.0.0.1 instead, so that the SDK's own
 * retry strategy runs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ResourceLimitExceeded, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createAwsClients, createSageMakerProvider, PRICE_TAG_KEY } from '../../../../activities/provider/sagemaker';
import { TAG_KEYS } from '../../../../domain/constants';
import { allowLocalhostOnly, useMotoEnvironment } from '../../../support/moto';
import { projectTags, SETTINGS, silentLogger, trainingRequest } from './fixtures';

type Answer = (input: Record<string, unknown>) => unknown;

/** Builds a fake SageMakerClient that records its calls. `answers` maps a command name (without `Command`) to its reply. */
function fakeSageMaker(answers: Record<string, Answer>) {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    config: { region: 'us-east-1' },
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`the fake SageMaker client has no answer for ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as SageMakerClient, calls, commands: () => calls.map((call) => call.command) };
}

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

function providerWith(sagemaker: SageMakerClient, clock?: () => Date) {
  return createSageMakerProvider({
    sagemaker,
    cloudwatch: {} as CloudWatchClient,
    settings: SETTINGS,
    logger: silentLogger,
    ...(clock ? { clock } : {}),
  });
}

const START = new Date('2026-03-01T10:00:00Z');

function job(status: string, extra: Record<string, unknown> = {}) {
  return {
    TrainingJobName: 'churn-bench-0',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-bench-0',
    TrainingJobStatus: status,
    SecondaryStatus: status === 'InProgress' ? 'Training' : status,
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2 },
    TrainingStartTime: START,
    ...extra,
  };
}

const tagsAnswer = () => ({
  Tags: [
    { Key: TAG_KEYS.project, Value: 'churn' },
    { Key: PRICE_TAG_KEY, Value: '0.36' },
  ],
});

describe('training jobs', () => {
  test('stop sends StopTrainingJob once', async () => {
    const states = [job('InProgress'), job('Stopping'), job('Stopping'), job('Stopped', { TrainingEndTime: new Date('2026-03-01T10:10:00Z') })];
    const fake = fakeSageMaker({ DescribeTrainingJob: () => states.shift(), StopTrainingJob: () => ({}), ListTags: tagsAnswer });
    const provider = providerWith(fake.client);

    const stopping = await provider.stopTrainingJob('churn-bench-0');
    const again = await provider.stopTrainingJob('churn-bench-0');
    const stopped = await provider.describeTrainingJob('churn-bench-0');

    expect(stopping.status).toBe('Stopping');
    expect(stopping.stopRequested).toBe(true);
    expect(again.status).toBe('Stopping');
    expect(stopped.status).toBe('Stopped');
    expect(stopped.stopRequested).toBe(true);
    expect(stopped.endTime).toBe('2026-03-01T10:10:00.000Z');
    expect(fake.commands().filter((command) => command === 'StopTrainingJob')).toHaveLength(1);
  });

  test('stop leaves ended job alone', async () => {
    const fake = fakeSageMaker({ DescribeTrainingJob: () => job('Completed', { TrainingEndTime: START }), ListTags: tagsAnswer });
    const provider = providerWith(fake.client);

    const result = await provider.stopTrainingJob('churn-bench-0');

    expect(result.status).toBe('Completed');
    expect(result.stopRequested).toBe(false);
    expect(fake.commands()).not.toContain('StopTrainingJob');
  });

  test('stop racing job end returns end', async () => {
    const states = [job('InProgress'), job('Completed', { TrainingEndTime: START })];
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => states.shift(),
      StopTrainingJob: () => {
        throw awsError('ValidationException', 'The job status is Completed');
      },
      ListTags: tagsAnswer,
    });

    const result = await providerWith(fake.client).stopTrainingJob('churn-bench-0');

    expect(result.status).toBe('Completed');
  });

  test('max runtime stop is not requested', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => job('Stopped', { SecondaryStatus: 'MaxRuntimeExceeded', TrainingEndTime: START }),
      ListTags: tagsAnswer,
    });

    const result = await providerWith(fake.client).describeTrainingJob('churn-bench-0');

    expect(result.status).toBe('Stopped');
    expect(result.stopRequested).toBe(false);
  });

  test('billable time scales by instance count', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => job('Completed', { BillableTimeInSeconds: 600, TrainingTimeInSeconds: 1500, TrainingEndTime: START }),
      ListTags: tagsAnswer,
    });

    const result = await providerWith(fake.client).describeTrainingJob('churn-bench-0');

    // SageMaker's BillableTimeInSeconds is per instance; the job ran on two.
    expect(result.billableSeconds).toBe(1200);
    expect(result.costUsd).toBeCloseTo((1200 * 0.36) / 3600, 10);
    expect(result.trainingSeconds).toBe(3000);
  });

  test('running job bills elapsed time', async () => {
    const fake = fakeSageMaker({ DescribeTrainingJob: () => job('InProgress'), ListTags: tagsAnswer });
    const clock = () => new Date(START.getTime() + 300_000);

    const result = await providerWith(fake.client, clock).describeTrainingJob('churn-bench-0');
    const spend = await providerWith(fake.client, clock).getProjectSpend('churn');

    expect(result.billableSeconds).toBe(600);
    expect(result.costUsd).toBeCloseTo(0.06, 10);
    expect(result.endTime).toBeUndefined();
    expect(spend.totalUsd).toBe(0);
  });

  test('project spend sums metered jobs', async () => {
    const fake = fakeSageMaker({ DescribeTrainingJob: () => job('InProgress'), ListTags: tagsAnswer });
    const provider = providerWith(fake.client, () => new Date(START.getTime() + 300_000));

    await provider.describeTrainingJob('churn-bench-0');
    const spend = await provider.getProjectSpend('churn');
    const other = await provider.getProjectSpend('other-project');

    expect(spend.byResource).toEqual({ 'churn-bench-0': expect.closeTo(0.06, 10) });
    expect(spend.totalUsd).toBeCloseTo(0.06, 10);
    expect(other.totalUsd).toBe(0);
  });

  test('training quota error names quota', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => {
        throw awsError('ValidationException', "Could not find training job 'churn-bench-0'");
      },
      CreateTrainingJob: () => {
        throw new ResourceLimitExceeded({ message: 'The account-level service limit is 0 Instances', $metadata: {} });
      },
    });
    const provider = providerWith(fake.client);

    const onDemand = provider.createTrainingJob(trainingRequest());
    const spot = provider.createTrainingJob(trainingRequest({ spot: true }));

    await expect(onDemand).rejects.toMatchObject({ name: 'QuotaExceeded', cause: expect.objectContaining({ name: 'ResourceLimitExceeded' }) });
    await expect(onDemand).rejects.toThrow(/"ml\.m5\.xlarge for training job usage"/);
    await expect(spot).rejects.toThrow(/"ml\.m5\.xlarge for spot training job usage"/);
  });

  test('validation error becomes InvalidInput', async () => {
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => {
        throw awsError('ValidationException', "Could not find training job 'churn-bench-0'");
      },
      CreateTrainingJob: () => {
        throw awsError('ValidationException', "1 validation error detected: Value 'ml.m5.huge' at 'resourceConfig.instanceType' failed");
      },
    });

    const attempt = providerWith(fake.client).createTrainingJob(trainingRequest());

    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInput', cause: expect.objectContaining({ name: 'ValidationException' }) });
    await expect(attempt).rejects.toThrow(/resourceConfig\.instanceType/);
  });

  test('racing create adopts existing job', async () => {
    const states: unknown[] = [undefined, job('InProgress')];
    const fake = fakeSageMaker({
      DescribeTrainingJob: () => {
        const next = states.shift();
        if (!next) throw awsError('ValidationException', "Could not find training job 'churn-bench-0'");
        return next;
      },
      CreateTrainingJob: () => {
        throw awsError('ResourceInUse', 'Training job names must be unique within an AWS account and region, and a training job with this name already exists');
      },
      ListTags: tagsAnswer,
    });

    const result = await providerWith(fake.client).createTrainingJob(trainingRequest());

    expect(result.status).toBe('InProgress');
    expect(fake.commands()).toEqual(['DescribeTrainingJob', 'CreateTrainingJob', 'DescribeTrainingJob']);
  });
});

describe('endpoints', () => {
  const endpoint = (status: string, extra: Record<string, unknown> = {}) => ({
    EndpointName: 'churn-endpoint',
    EndpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-endpoint',
    EndpointConfigName: 'churn-config-1',
    EndpointStatus: status,
    ...extra,
  });
  const config = () => ({ EndpointConfigName: 'churn-config-2', ProductionVariants: [{ InstanceType: 'ml.m5.large' }] });

  test('update sent only when InService', async () => {
    const states = [endpoint('InService'), endpoint('Updating', { PendingDeploymentSummary: { EndpointConfigName: 'churn-config-2' } })];
    const fake = fakeSageMaker({ DescribeEndpoint: () => states.shift(), DescribeEndpointConfig: config, UpdateEndpoint: () => ({}) });

    const result = await providerWith(fake.client).updateEndpoint('churn-endpoint', 'churn-config-2');

    expect(result.status).toBe('Updating');
    expect(fake.calls.find((call) => call.command === 'UpdateEndpoint')?.input).toEqual({
      EndpointName: 'churn-endpoint',
      EndpointConfigName: 'churn-config-2',
    });
  });

  test('repeated update while Updating is no-op', async () => {
    const fake = fakeSageMaker({
      DescribeEndpoint: () => endpoint('Updating', { PendingDeploymentSummary: { EndpointConfigName: 'churn-config-2' } }),
    });

    const result = await providerWith(fake.client).updateEndpoint('churn-endpoint', 'churn-config-2');

    expect(result.status).toBe('Updating');
    expect(fake.commands()).toEqual(['DescribeEndpoint']);
  });

  test('update to other config waits', async () => {
    for (const state of [endpoint('Updating', { PendingDeploymentSummary: { EndpointConfigName: 'churn-config-3' } }), endpoint('Creating')]) {
      const fake = fakeSageMaker({ DescribeEndpoint: () => state });

      await expect(providerWith(fake.client).updateEndpoint('churn-endpoint', 'churn-config-2')).rejects.toMatchObject({ name: 'ResourceInUse' });
      expect(fake.commands()).not.toContain('UpdateEndpoint');
    }
  });

  test('failed endpoint update not retried', async () => {
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint('Failed', { FailureReason: 'image pull failed' }) });

    const attempt = providerWith(fake.client).updateEndpoint('churn-endpoint', 'churn-config-2');

    await expect(attempt).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(attempt).rejects.toThrow(/Failed \(image pull failed\)/);
    expect(fake.commands()).not.toContain('UpdateEndpoint');
  });

  test('delete waits out update', async () => {
    const fake = fakeSageMaker({ DescribeEndpoint: () => endpoint('Updating') });

    await expect(providerWith(fake.client).deleteEndpoint('churn-endpoint')).rejects.toMatchObject({ name: 'ResourceInUse' });
    expect(fake.commands()).not.toContain('DeleteEndpoint');
  });

  test('endpoint quota error names quota', async () => {
    const fake = fakeSageMaker({
      DescribeEndpoint: () => {
        throw awsError('ValidationException', "Could not find endpoint 'churn-endpoint'");
      },
      DescribeEndpointConfig: config,
      CreateEndpoint: () => {
        throw new ResourceLimitExceeded({ message: 'The account-level service limit is 2 Instances', $metadata: {} });
      },
    });

    const attempt = providerWith(fake.client).createEndpoint('churn-endpoint', 'churn-config-2', projectTags('churn', 'endpoint'));

    await expect(attempt).rejects.toMatchObject({ name: 'QuotaExceeded' });
    await expect(attempt).rejects.toThrow(/"ml\.m5\.large for endpoint usage"/);
  });

});

describe('throttling through the real SDK client', () => {
  let server: http.Server;
  let url: string;
  let script: { status: number; body: unknown }[] = [];
  let requests = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests += 1;
        const next = script.shift() ?? { status: 500, body: { __type: 'InternalFailure', message: 'script exhausted' } };
        response.writeHead(next.status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(next.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    useMotoEnvironment(url);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests = 0;
  });

  const localClients = (maxAttempts: number) => {
    const { sagemaker, cloudwatch } = createAwsClients({ region: 'us-east-1', endpoint: url, maxAttempts });
    return { sagemaker: allowLocalhostOnly(sagemaker), cloudwatch: allowLocalhostOnly(cloudwatch) };
  };
  const throttled = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
  const describeBody = {
    TrainingJobName: 'churn-bench-0',
    TrainingJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-bench-0',
    TrainingJobStatus: 'InProgress',
    ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30 },
    TrainingStartTime: START.getTime() / 1000,
  };
  const tagsBody = { Tags: [{ Key: TAG_KEYS.project, Value: 'churn' }] };

  test('throttled describe retried to success', async () => {
    script = [
      throttled,
      { status: 503, body: { __type: 'ServiceUnavailable', message: 'try later' } },
      { status: 200, body: describeBody },
      { status: 200, body: tagsBody },
    ];
    const clients = localClients(4);
    const provider = createSageMakerProvider({ ...clients, settings: SETTINGS, logger: silentLogger });

    const result = await provider.describeTrainingJob('churn-bench-0');

    expect(result.status).toBe('InProgress');
    expect(requests).toBe(4);
  });

  test('exhausted throttling stays retryable', async () => {
    script = [throttled, throttled];
    const clients = localClients(2);
    const provider = createSageMakerProvider({ ...clients, settings: SETTINGS, logger: silentLogger });

    const attempt = provider.describeTrainingJob('churn-bench-0');

    // 'Throttled' is outside the non-retryable types, and workflows retry it without a bound (workflows/activities.ts).
    await expect(attempt).rejects.toMatchObject({ name: 'Throttled', cause: { name: 'ThrottlingException' } });
    expect(requests).toBe(2);
  });
});
