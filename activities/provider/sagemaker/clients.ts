/**
 * One shared configuration for the AWS SDK clients of the SageMaker
 * provider. Region, credentials and endpoint come from the SDK's standard
 * chain (AWS_REGION, AWS_PROFILE, ~/.aws/config, AWS_ENDPOINT_URL and so
 * on) unless given here, so a user's AWS profile works as it is.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

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
}

export function createAwsClients(options: AwsClientOptions = {}): SageMakerProviderClients {
  const config = awsClientConfig(options);
  return { sagemaker: new SageMakerClient(config), cloudwatch: new CloudWatchClient(config) };
}
