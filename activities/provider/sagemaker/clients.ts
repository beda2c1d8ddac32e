/**
 * One shared configuration for the AWS SDK clients of the SageMaker
 * provider. Region, credentials and endpoint come from the SDK's standard
 * chain (AWS_REGION, AWS_PROFILE, ~/.aws/config, AWS_ENDPOINT_URL and so
 * on) unless given here, so a user's AWS profile works as it is.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

export interface AwsClientOptions {
  region?: string;
  /** Overrides AWS_ENDPOINT_URL, such as a moto server in tests. */
  endpoint?: string;
  /** Total attempts per call, first one included (default 8). */
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * Returns the client configuration: the SDK's adaptive retry mode retries
 * throttling, 5xx and network errors with exponential backoff and full
 * jitter, and slows the client down when it is throttled.
 */
export function awsClientConfig(options: AwsClientOptions = {}) {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'adaptive' as const,
  };
}

export interface SageMakerProviderClients {
  sagemaker: SageMakerClient;
  cloudwatch: CloudWatchClient;
  s3: S3Client;
  /** InvokeEndpoint for load tests; it makes one attempt per request (see runtimeClientConfig). */
  runtime: SageMakerRuntimeClient;
}

export function createAwsClients(options: AwsClientOptions = {}): SageMakerProviderClients {
  const config = awsClientConfig(options);
  // An endpoint override (an emulator or a VPC endpoint by IP) cannot serve bucket-name host names, so S3 then uses path-style URLs.
  const forcePathStyle = Boolean(options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return {
    sagemaker: new SageMakerClient(config),
    cloudwatch: new CloudWatchClient(config),
    s3: new S3Client({ ...config, forcePathStyle }),
    runtime: new SageMakerRuntimeClient(runtimeClientConfig(options)),
  };
}

/**
 * Returns the configuration of the SageMaker Runtime client: one attempt
 * per request, because a load test counts a failed request as an error and
 * a retry would hide the failure and add its wait to the measured latency.
 */
export function runtimeClientConfig(options: Omit<AwsClientOptions, 'maxAttempts'> = {}) {
  return { ...awsClientConfig(options), maxAttempts: 1 };
}
