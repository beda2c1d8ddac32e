/**
 * Models, endpoint configs and endpoints of the SageMaker provider against
 * moto in server mode, through the real SDK clients.
 */
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { VARIANT_NAME } from '../../../../activities/provider/sagemaker';
import type { EndpointConfigRequest } from '../../../../activities/provider/types';
import { TAG_KEYS } from '../../../../domain/constants';
import { useMoto } from '../../../support/moto';
import { motoProvider, projectTags, SETTINGS } from './fixtures';

const moto = useMoto();

const MODEL_ARTIFACTS = 's3://mlops-test-bucket/output/churn-bench-0/output/model.tar.gz';

function configRequest(overrides: Partial<EndpointConfigRequest> = {}): EndpointConfigRequest {
  return {
    name: 'churn-config-1',
    modelName: 'churn-model-1',
    instanceType: 'ml.m5.large',
    instanceCount: 2,
    pricePerHourUsd: 0.115,
    captureInputs: true,
    tags: projectTags('churn', 'endpoint'),
    ...overrides,
  };
}

async function tagsOf(sagemaker: SageMakerClient, arn: string | undefined): Promise<Record<string, string | undefined>> {
  const result = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
  return Object.fromEntries((result.Tags ?? []).map((tag) => [tag.Key as string, tag.Value]));
}

async function deployFirstRevision(provider: ReturnType<typeof motoProvider>['provider']) {
  await provider.createModel({
    name: 'churn-model-1',
    command: ['serve'],
    workingDirectory: '/tmp',
    modelArtifacts: MODEL_ARTIFACTS,
    tags: projectTags('churn', 'model'),
  });
  await provider.createEndpointConfig(configRequest());
  return provider.createEndpoint('churn-endpoint', 'churn-config-1', projectTags('churn', 'endpoint'));
}

test('model carries image, artifacts and tags', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  await deployFirstRevision(provider);
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: 'churn-model-1' }));

  expect(model.PrimaryContainer?.Image).toBe(SETTINGS.inferenceImage);
  expect(model.PrimaryContainer?.ModelDataUrl).toBe(MODEL_ARTIFACTS);
  expect(model.ExecutionRoleArn).toBe(SETTINGS.executionRoleArn);
  expect((await tagsOf(sagemaker, model.ModelArn))[TAG_KEYS.project]).toBe('churn');
});

test('endpoint config sets variant and capture', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  await deployFirstRevision(provider);
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'churn-config-1' }));

  expect(config.ProductionVariants).toHaveLength(1);
  expect(config.ProductionVariants?.[0]).toMatchObject({
    VariantName: VARIANT_NAME,
    ModelName: 'churn-model-1',
    InitialInstanceCount: 2,
    InstanceType: 'ml.m5.large',
  });
  expect(config.DataCaptureConfig?.EnableCapture).toBe(true);
  expect(config.DataCaptureConfig?.DestinationS3Uri).toBe('s3://mlops-test-bucket/output/data-capture');
  expect(config.DataCaptureConfig?.CaptureOptions).toEqual([{ CaptureMode: 'Input' }]);
  const tags = await tagsOf(sagemaker, config.EndpointConfigArn);
  expect(tags[TAG_KEYS.project]).toBe('churn');
  expect(tags[TAG_KEYS.managedBy]).toBe('mlops-orchestrator');
});

test('endpoint config without capture', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await deployFirstRevision(provider);

  await provider.createEndpointConfig(configRequest({ name: 'churn-config-2', captureInputs: false }));
  const config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'churn-config-2' }));

  expect(config.DataCaptureConfig?.EnableCapture ?? false).toBe(false);
});

test('endpoint created, described and tagged', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  const created = await deployFirstRevision(provider);
  const described = await provider.describeEndpoint('churn-endpoint');
  const raw = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'churn-endpoint' }));

  expect(created.name).toBe('churn-endpoint');
  expect(created.configName).toBe('churn-config-1');
  expect(described).toEqual(created);
  expect(described?.status).toBe(raw.EndpointStatus);
  expect(described?.url).toBe('https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/churn-endpoint/invocations');
  expect((await tagsOf(sagemaker, raw.EndpointArn))[TAG_KEYS.step]).toBe('endpoint');
});

test('second create keeps one endpoint', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await deployFirstRevision(provider);
  await provider.createEndpointConfig(configRequest({ name: 'churn-config-2' }));

  const again = await provider.createEndpoint('churn-endpoint', 'churn-config-2', projectTags('churn', 'endpoint'));
  const list = await sagemaker.send(new ListEndpointsCommand({}));

  expect(list.Endpoints?.map((endpoint) => endpoint.EndpointName)).toEqual(['churn-endpoint']);
  expect(again.configName).toBe('churn-config-1');
});

test('second model create keeps first', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await deployFirstRevision(provider);

  await provider.createModel({
    name: 'churn-model-1',
    command: ['serve'],
    workingDirectory: '/tmp',
    modelArtifacts: 's3://mlops-test-bucket/other/model.tar.gz',
    tags: projectTags('churn', 'model'),
  });
  const model = await sagemaker.send(new DescribeModelCommand({ ModelName: 'churn-model-1' }));

  expect(model.PrimaryContainer?.ModelDataUrl).toBe(MODEL_ARTIFACTS);
});

test('missing endpoint describes as undefined', async () => {
  const { provider } = motoProvider(moto);

  await expect(provider.describeEndpoint('no-such-endpoint')).resolves.toBeUndefined();
});

test('delete endpoint keeps model and config', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await deployFirstRevision(provider);

  await provider.deleteEndpoint('churn-endpoint');

  await expect(provider.describeEndpoint('churn-endpoint')).resolves.toBeUndefined();
  await expect(sagemaker.send(new DescribeModelCommand({ ModelName: 'churn-model-1' }))).resolves.toBeDefined();
  await expect(sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'churn-config-1' }))).resolves.toBeDefined();
});

test('deleting missing resources is a no-op', async () => {
  const { provider } = motoProvider(moto);

  await expect(provider.deleteEndpoint('no-such-endpoint')).resolves.toBeUndefined();
  await expect(provider.deleteEndpointConfig('no-such-config')).resolves.toBeUndefined();
});

test('delete endpoint config removes it', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await deployFirstRevision(provider);
  await provider.deleteEndpoint('churn-endpoint');

  await provider.deleteEndpointConfig('churn-config-1');

  await expect(sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: 'churn-config-1' }))).rejects.toThrow(/Could not find/);
});

test('endpoint on missing config is InvalidInput', async () => {
  const { provider } = motoProvider(moto);

  const attempt = provider.createEndpoint('churn-endpoint', 'no-such-config', projectTags('churn', 'endpoint'));

  await expect(attempt).rejects.toMatchObject({ name: 'InvalidInput' });
  await expect(attempt).rejects.toThrow(/endpoint config no-such-config does not exist/);
});

test('model from local artifacts rejected', async () => {
  const { provider } = motoProvider(moto);

  const attempt = provider.createModel({
    name: 'churn-model-1',
    command: ['serve'],
    workingDirectory: '/tmp',
    modelArtifacts: '/var/lib/models/model.tar.gz',
    tags: projectTags('churn', 'model'),
  });

  await expect(attempt).rejects.toMatchObject({ name: 'InvalidInput' });
});
