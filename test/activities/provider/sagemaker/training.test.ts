/**
 * Training jobs of the SageMaker provider against moto in server mode,
 * through the real SDK clients.
 */
import {
  DescribeTrainingJobCommand,
  ListTagsCommand,
  ListTrainingJobsCommand,
  type CreateTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { createSageMakerProvider, PRICE_TAG_KEY } from '../../../../activities/provider/sagemaker';
import { TAG_KEYS } from '../../../../domain/constants';
import { useMoto } from '../../../support/moto';
import { motoProvider, SETTINGS, silentLogger, trainingRequest } from './fixtures';

const moto = useMoto();

test('training job carries request fields', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  const sent: CreateTrainingJobCommandInput[] = [];
  sagemaker.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'CreateTrainingJobCommand') sent.push(args.input as CreateTrainingJobCommandInput);
      return next(args);
    },
    { step: 'initialize' },
  );

  const description = await provider.createTrainingJob(trainingRequest());
  const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-0' }));

  expect(description.name).toBe('churn-bench-0');
  expect(job.TrainingJobName).toBe('churn-bench-0');
  expect(job.AlgorithmSpecification?.TrainingImage).toBe(SETTINGS.trainingImage);
  expect(job.AlgorithmSpecification?.TrainingInputMode).toBe('File');
  // moto 5.2.5 returns fixed MetricDefinitions, so they are checked on the request the SDK sent.
  expect(sent[0]?.AlgorithmSpecification?.MetricDefinitions).toEqual([{ Name: 'validation:auc', Regex: 'auc=([0-9.]+)' }]);
  expect(job.RoleArn).toBe(SETTINGS.executionRoleArn);
  expect(job.InputDataConfig?.map((channel) => [channel.ChannelName, channel.DataSource?.S3DataSource?.S3Uri])).toEqual([
    ['train', 's3://mlops-test-bucket/data/train/'],
    ['validation', 's3://mlops-test-bucket/data/validation/'],
  ]);
  expect(job.OutputDataConfig?.S3OutputPath).toBe(SETTINGS.outputS3Uri);
  expect(job.ResourceConfig).toMatchObject({ InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeSizeInGB: 50 });
  expect(job.StoppingCondition?.MaxRuntimeInSeconds).toBe(3600);
  expect(job.StoppingCondition?.MaxWaitTimeInSeconds).toBeUndefined();
  expect(job.EnableManagedSpotTraining ?? false).toBe(false);
  expect(job.HyperParameters).toEqual({ 'max-depth': '6', eta: '0.3' });
});

test('training job tagged with project', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  await provider.createTrainingJob(trainingRequest());
  const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-0' }));
  const tags = await sagemaker.send(new ListTagsCommand({ ResourceArn: job.TrainingJobArn }));
  const byKey = Object.fromEntries((tags.Tags ?? []).map((tag) => [tag.Key, tag.Value]));

  expect(byKey[TAG_KEYS.project]).toBe('churn');
  expect(byKey[TAG_KEYS.step]).toBe('benchmark');
  expect(byKey[TAG_KEYS.managedBy]).toBe('mlops-orchestrator');
  expect(byKey[PRICE_TAG_KEY]).toBe('0.23');
});

test('spot job sets wait and checkpoint', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  const description = await provider.createTrainingJob(trainingRequest({ name: 'churn-bench-1', spot: true, maxRuntimeSeconds: 1800 }));
  const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-1' }));

  expect(description.spot).toBe(true);
  expect(job.EnableManagedSpotTraining).toBe(true);
  expect(job.StoppingCondition?.MaxRuntimeInSeconds).toBe(1800);
  expect(job.StoppingCondition?.MaxWaitTimeInSeconds).toBe(3600);
  expect(job.CheckpointConfig?.S3Uri).toBe('s3://mlops-test-bucket/checkpoints/churn-bench-1');
});

test('second create adopts existing job', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  const first = await provider.createTrainingJob(trainingRequest());
  const created = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-0' }));
  // A retried activity may send a different request under the same name; the first job must survive it.
  const second = await provider.createTrainingJob(trainingRequest({ instanceCount: 5 }));
  const after = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-0' }));
  const list = await sagemaker.send(new ListTrainingJobsCommand({}));

  expect(list.TrainingJobSummaries?.map((job) => job.TrainingJobName)).toEqual(['churn-bench-0']);
  expect(after.CreationTime).toEqual(created.CreationTime);
  expect(after.ResourceConfig?.InstanceCount).toBe(2);
  expect(second.instanceCount).toBe(first.instanceCount);
});

test('local channel path rejected as InvalidInput', async () => {
  const { provider, sagemaker } = motoProvider(moto);

  const attempt = provider.createTrainingJob(trainingRequest({ channels: { train: 'data/train.csv' } }));

  await expect(attempt).rejects.toMatchObject({ name: 'InvalidInput' });
  await expect(attempt).rejects.toThrow(/channel "train" .*"data\/train.csv".*s3:\/\//);
  const list = await sagemaker.send(new ListTrainingJobsCommand({}));
  expect(list.TrainingJobSummaries ?? []).toHaveLength(0);
});

test('invalid runtime or checkpoint rejected', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  const noCheckpoint = createSageMakerProvider({
    sagemaker,
    cloudwatch: motoProvider(moto).cloudwatch,
    settings: { ...SETTINGS, checkpointS3Uri: undefined },
    logger: silentLogger,
  });

  const zero = provider.createTrainingJob(trainingRequest({ maxRuntimeSeconds: 0 }));
  const tooLong = provider.createTrainingJob(trainingRequest({ maxRuntimeSeconds: 29 * 24 * 3600 }));
  const spot = noCheckpoint.createTrainingJob(trainingRequest({ spot: true }));

  await expect(zero).rejects.toMatchObject({ name: 'InvalidInput' });
  await expect(tooLong).rejects.toThrow(/invalid maxRuntimeSeconds 2505600 .*expected a whole number from 1 to 2419200/);
  await expect(spot).rejects.toThrow(/sagemaker\.checkpointS3Uri is missing/);
  const list = await sagemaker.send(new ListTrainingJobsCommand({}));
  expect(list.TrainingJobSummaries ?? []).toHaveLength(0);
});

test('describe maps completed job', async () => {
  const { provider, sagemaker } = motoProvider(moto);
  await provider.createTrainingJob(trainingRequest());
  const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: 'churn-bench-0' }));

  const description = await provider.describeTrainingJob('churn-bench-0');

  // moto 5.2.5 completes a job at once with start = end and fixed final metrics; billing over time is tested with a fake client.
  expect(description.status).toBe('Completed');
  expect(description.secondaryStatus).toBe('Completed');
  expect(description.startTime).toBe((job.TrainingStartTime as Date).toISOString());
  expect(description.endTime).toBe((job.TrainingEndTime as Date).toISOString());
  expect(description.instanceType).toBe('ml.m5.xlarge');
  expect(description.instanceCount).toBe(2);
  expect(description.modelArtifacts).toBe(job.ModelArtifacts?.S3ModelArtifacts);
  expect(description.outputDataPath).toBe('s3://mlops-test-bucket/output/churn-bench-0/output/output.tar.gz');
  expect(description.metrics).toEqual(Object.fromEntries((job.FinalMetricDataList ?? []).map((m) => [m.MetricName, m.Value])));
  expect(Object.keys(description.metrics).length).toBeGreaterThan(0);
  expect(description.stopRequested).toBe(false);
});

test('restarted provider finds project spend', async () => {
  const first = motoProvider(moto);
  await first.provider.createTrainingJob(trainingRequest());
  const restarted = motoProvider(moto);

  const description = await restarted.provider.describeTrainingJob('churn-bench-0');
  const spend = await restarted.provider.getProjectSpend('churn');

  expect(Object.keys(spend.byResource)).toEqual(['churn-bench-0']);
  expect(spend.totalUsd).toBeCloseTo(description.costUsd, 10);
});

test('missing training job is InvalidInput', async () => {
  const { provider } = motoProvider(moto);

  await expect(provider.describeTrainingJob('no-such-job')).rejects.toMatchObject({ name: 'InvalidInput' });
});
