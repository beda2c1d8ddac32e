/**
 * The SageMaker compute provider: the provider interface on Amazon
 * SageMaker through the AWS SDK v3 clients it is given, so tests can pass
 * clients aimed at moto or a fake.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import type { ComputeProvider } from '../types';
import type { ProviderLogger, SageMakerContext } from './context';
import { SageMakerEndpoints } from './endpoints';
import { DEFAULT_METRICS_WINDOW, getEndpointMetrics, type MetricsWindowSettings } from './metrics';
import type { SageMakerSettings } from './settings';
import { SageMakerTrainingJobs } from './training';

export { awsClientConfig, createAwsClients, type AwsClientOptions } from './clients';
export { InvalidInputError, QuotaExceededError, ResourceInUseError, ResourceNotFoundError, classifyAwsError } from './errors';
export { alignWindow, DEFAULT_METRICS_WINDOW, type MetricsWindowSettings } from './metrics';
export { parseSageMakerSettings, sageMakerSettingsSchema, type SageMakerSettings } from './settings';
export { PRICE_TAG_KEY, type ProviderLogger } from './context';
export { VARIANT_NAME } from './endpoints';

export interface SageMakerProviderOptions {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  settings: SageMakerSettings;
  /** Time source for elapsed-time billing and metric windows. */
  clock?: () => Date;
  /** Defaults to a pino logger on stderr named `sagemaker-provider`. */
  logger?: ProviderLogger;
  metricsWindow?: Partial<MetricsWindowSettings>;
}

export function createSageMakerProvider(options: SageMakerProviderOptions): ComputeProvider {
  const ctx: SageMakerContext = {
    sagemaker: options.sagemaker,
    cloudwatch: options.cloudwatch,
    settings: options.settings,
    clock: options.clock ?? (() => new Date()),
    logger: options.logger ?? pino({ name: 'sagemaker-provider' }, pino.destination(2)),
    prices: new Map(),
    spend: new Map(),
  };
  const window = { ...DEFAULT_METRICS_WINDOW, ...options.metricsWindow };
  const jobs = new SageMakerTrainingJobs(ctx);
  const endpoints = new SageMakerEndpoints(ctx);

  return {
    name: 'sagemaker',
    createTrainingJob: (request) => jobs.create(request),
    describeTrainingJob: (name) => jobs.describe(name),
    stopTrainingJob: (name) => jobs.stop(name),
    createModel: (request) => endpoints.createModel(request),
    createEndpointConfig: (request) => endpoints.createEndpointConfig(request),
    deleteEndpointConfig: (name) => endpoints.deleteEndpointConfig(name),
    createEndpoint: (name, configName, tags) => endpoints.createEndpoint(name, configName, tags),
    updateEndpoint: (name, configName) => endpoints.updateEndpoint(name, configName),
    describeEndpoint: (name) => endpoints.describeEndpoint(name),
    deleteEndpoint: (name) => endpoints.deleteEndpoint(name),
    getEndpointMetrics: (name, start, end) => getEndpointMetrics(ctx, window, name, start, end),
    getCapturedRequests: async (name) => {
      throw ApplicationFailure.nonRetryable(
        `reading captured requests of endpoint ${name} is not supported yet by the sagemaker provider (it needs the S3 data capture files): ` +
          'use the local provider for drift checks until then',
        'NotSupported',
      );
    },
    // NOTE: sums only the training costs this process metered from DescribeTrainingJob since it started, and no hosting cost.
    // Reconciliation with Cost Explorer (GetCostAndUsage by the project tag) is the next step.
    getProjectSpend: async (projectId) => {
      const byResource: Record<string, number> = {};
      for (const [name, record] of ctx.spend) {
        if (record.projectId === projectId) byResource[name] = record.costUsd;
      }
      const totalUsd = Object.values(byResource).reduce((total, cost) => total + cost, 0);
      return { totalUsd, byResource };
    },
  };
}
