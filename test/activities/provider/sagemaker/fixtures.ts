/** Shared set-up of the SageMaker provider tests: settings, a silent logger, requests and clients aimed at moto. */
import { MANAGED_BY_VALUE, TAG_KEYS } from '../../../../domain/constants';
import { createAwsClients, createSageMakerProvider, parseSageMakerSettings, type ProviderLogger } from '../../../../activities/provider/sagemaker';
import type { TrainingJobRequest } from '../../../../activities/provider/types';
import { allowLocalhostOnly, useMotoEnvironment, type MotoServer } from '../../../support/moto';

export const SETTINGS = parseSageMakerSettings({
  executionRoleArn: 'arn:aws:iam::123456789012:role/SageMakerExecution',
  trainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1',
  inferenceImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/serve:1',
  outputS3Uri: 's3://mlops-test-bucket/output',
  checkpointS3Uri: 's3://mlops-test-bucket/checkpoints',
  volumeSizeGb: 50,
  maxAttempts: 3,
});

export const silentLogger: ProviderLogger = { info: () => undefined, warn: () => undefined };

export function projectTags(projectId: string, step: string): Record<string, string> {
  return { [TAG_KEYS.project]: projectId, [TAG_KEYS.step]: step, [TAG_KEYS.managedBy]: MANAGED_BY_VALUE };
}

export function trainingRequest(overrides: Partial<TrainingJobRequest> = {}): TrainingJobRequest {
  return {
    name: 'churn-bench-0',
    command: ['python', 'train.py'],
    workingDirectory: '/tmp',
    channels: { train: 's3://mlops-test-bucket/data/train/', validation: 's3://mlops-test-bucket/data/validation/' },
    hyperparameters: { 'max-depth': '6', eta: '0.3' },
    metricDefinitions: [{ name: 'validation:auc', regex: 'auc=([0-9.]+)' }],
    instanceType: 'ml.m5.xlarge',
    instanceCount: 2,
    spot: false,
    maxRuntimeSeconds: 3600,
    pricePerHourUsd: 0.23,
    tags: projectTags('churn', 'benchmark'),
    ...overrides,
  };
}

/** Builds the provider and raw clients aimed at a moto server. */
export function motoProvider(moto: MotoServer, clock?: () => Date) {
  useMotoEnvironment(moto.url);
  const { sagemaker, cloudwatch } = createAwsClients({ region: 'us-east-1', endpoint: moto.url, maxAttempts: 2 });
  const clients = { sagemaker: allowLocalhostOnly(sagemaker), cloudwatch: allowLocalhostOnly(cloudwatch) };
  const provider = createSageMakerProvider({ ...clients, settings: SETTINGS, logger: silentLogger, ...(clock ? { clock } : {}) });
  return { provider, ...clients };
}
