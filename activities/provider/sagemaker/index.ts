/**
 * The SageMaker compute provider: the provider interface on Amazon
 * SageMaker through the AWS SDK v3 clients it is given, so tests can pass
 * clients aimed at moto or a fake.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import pino from 'pino';
import type { ComputeProvider } from '../types';
import { runtimeClientConfig } from './clients';
import type { ProviderLogger, SageMakerContext } from './context';
import { dataCaptureUri, SageMakerEndpoints, VARIANT_NAME } from './endpoints';
import { DEFAULT_METRICS_WINDOW, getEndpointMetrics, type MetricsWindowSettings } from './metrics';
import { invokeEndpoint } from './runtime';
import { capturePrefix, readCapturedRequests, readModelFile } from './s3';
import type { SageMakerSettings } from './settings';
import { SageMakerTrainingJobs } from './training';

export { awsClientConfig, createAwsClients, runtimeClientConfig, type AwsClientOptions } from './clients';
export { InvalidInputError, QuotaExceededError, ResourceInUseError, ResourceNotFoundError, classifyAwsError } from './errors';
export { alignWindow, DEFAULT_METRICS_WINDOW, type MetricsWindowSettings } from './metrics';
export { parseSageMakerSettings, sageMakerSettingsSchema, type SageMakerSettings } from './settings';
export { PRICE_TAG_KEY, type ProviderLogger } from './context';
export { VARIANT_NAME } from './endpoints';
export { ModelInvocationError } from './runtime';

export interface SageMakerProviderOptions {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  /** Reads model archives and data capture files; defaults to a client from the SDK's standard chain. */
  s3?: S3Client;
  /** Sends InvokeEndpoint requests for load tests; defaults to a client from the SDK's standard chain with one attempt per request. */
  runtime?: SageMakerRuntimeClient;
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
  const s3 = options.s3 ?? new S3Client({ region: options.sagemaker.config.region });
  const runtime = options.runtime ?? new SageMakerRuntimeClient(runtimeClientConfig());

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
    getCapturedRequests: (name, start, end, limit) =>
      readCapturedRequests(s3, capturePrefix(dataCaptureUri(options.settings), name, VARIANT_NAME), start, end, limit),
    readModelFile: (modelArtifacts, fileName) => readModelFile(s3, modelArtifacts, fileName),
    invokeEndpoint: (name, body, contentType) => invokeEndpoint(runtime, name, body, contentType),
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
