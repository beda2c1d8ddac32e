/**
 * One pass through the provider calls a project makes, against moto with
 * the resource names of domain/names.ts, and clients configured only
 * through the environment the SDK reads (AWS_ENDPOINT_URL and friends).
 */
import { ListTagsCommand, ListTrainingJobsCommand } from '@aws-sdk/client-sagemaker';
import { createAwsClients, createSageMakerProvider } from '../../../../activities/provider/sagemaker';
import { TAG_KEYS } from '../../../../domain/constants';
import { endpointConfigName, endpointName, modelName, trainingJobName } from '../../../../domain/names';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../../../support/moto';
import { projectTags, SETTINGS, silentLogger, trainingRequest } from './fixtures';

const moto = useMoto();

test('clients follow AWS_ENDPOINT_URL', async () => {
  useMotoEnvironment(moto.url);
  const sagemaker = allowLocalhostOnly(createAwsClients().sagemaker);

  const jobs = await sagemaker.send(new ListTrainingJobsCommand({}));

  expect(jobs.TrainingJobSummaries).toEqual([]);
  expect(await sagemaker.config.region()).toBe('us-east-1');
});

test('test guard blocks other hosts', async () => {
  // 127.0.0.2 is loopback too, so even a broken guard sends nothing off the machine.
  const sagemaker = allowLocalhostOnly(createAwsClients({ region: 'us-east-1', endpoint: 'http://127.0.0.2:9', maxAttempts: 1 }).sagemaker);

  await expect(sagemaker.send(new ListTrainingJobsCommand({}))).rejects.toThrow(/tried to reach 127\.0\.0\.2; only 127\.0\.0\.1 is allowed/);
});

test('project lifecycle tags every resource', async () => {
  useMotoEnvironment(moto.url);
  const { sagemaker, cloudwatch } = createAwsClients();
  const clients = { sagemaker: allowLocalhostOnly(sagemaker), cloudwatch: allowLocalhostOnly(cloudwatch) };
  const provider = createSageMakerProvider({ ...clients, settings: SETTINGS, logger: silentLogger });
  const project = 'image-classification-demo';

  const job = await provider.createTrainingJob(
    trainingRequest({ name: trainingJobName(project, 'benchmark', 0), tags: projectTags(project, 'benchmark') }),
  );
  const trained = await provider.describeTrainingJob(job.name);
  await provider.createModel({
    name: modelName(project, 1),
    command: ['serve'],
    workingDirectory: '/tmp',
    modelArtifacts: trained.modelArtifacts as string,
    tags: projectTags(project, 'model'),
  });
  await provider.createEndpointConfig({
    name: endpointConfigName(project, 1),
    modelName: modelName(project, 1),
    instanceType: 'ml.m5.large',
    instanceCount: 1,
    pricePerHourUsd: 0.115,
    captureInputs: false,
    tags: projectTags(project, 'endpoint'),
  });
  const endpoint = await provider.createEndpoint(endpointName(project), endpointConfigName(project, 1), projectTags(project, 'endpoint'));
  const metrics = await provider.getEndpointMetrics(endpoint.name, new Date(Date.now() - 3_600_000).toISOString(), new Date().toISOString());

  expect(trained.status).toBe('Completed');
  expect(trained.modelArtifacts).toMatch(/^s3:\/\//);
  expect(endpoint.status).toBe('InService');
  expect(metrics).toEqual({ invocations: 0, errors: 0 });
  for (const arn of [
    `arn:aws:sagemaker:us-east-1:123456789012:training-job/${job.name}`,
    `arn:aws:sagemaker:us-east-1:123456789012:model/${modelName(project, 1)}`,
    `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${endpointConfigName(project, 1)}`,
    `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${endpoint.name}`,
  ]) {
    const tags = await clients.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
    expect({ arn, project: tags.Tags?.find((tag) => tag.Key === TAG_KEYS.project)?.Value }).toEqual({ arn, project });
  }

  await provider.deleteEndpoint(endpoint.name);
  await provider.deleteEndpointConfig(endpointConfigName(project, 1));

  await expect(provider.describeEndpoint(endpoint.name)).resolves.toBeUndefined();
});
