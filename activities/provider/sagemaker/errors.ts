/**
 * Errors of the SageMaker provider and the mapping of AWS SDK errors onto
 * them. An error's `name` becomes the Temporal failure type when an activity
 * throws it, and the workflows' retry policy lists 'InvalidInput' and
 * 'QuotaExceeded' as non-retryable. Every other error, throttling and 5xx
 * included, stays retryable, and throttling is named 'Throttled' so that
 * workflows retry it without a bound.
 */
import { InvalidInputError, ResourceInUseError, ResourceNotFoundError } from '../errors';

export { InvalidInputError, ResourceInUseError, ResourceNotFoundError };

/** An AWS service quota is used up; it does not free itself, so retrying is pointless until the quota is raised. */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceeded';
}

/**
 * AWS kept throttling the call after the SDK's own retries. Workflows retry
 * an activity that failed this way without a bound (workflows/activities.ts),
 * because throttling passes and must never fail a project.
 */
export class ThrottledError extends Error {
  override readonly name = 'Throttled';
}

/** Error names AWS services use for throttling. */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
]);

/** The call this error came from, to name the quota a ResourceLimitExceeded concerns. */
export interface CallContext {
  operation: string;
  resource: string;
  /** SageMaker quota family the call draws on. Training, spot training and endpoint quotas are separate. */
  quota?: { kind: 'training' | 'spot-training' | 'endpoint'; instanceType: string };
}

interface AwsErrorShape {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function awsErrorName(err: unknown): string | undefined {
  return (err as AwsErrorShape | undefined)?.name;
}

export function awsErrorMessage(err: unknown): string {
  return (err as AwsErrorShape | undefined)?.message ?? String(err);
}

/** Returns whether SageMaker rejected a create because the name is taken. */
export function isAlreadyExists(err: unknown): boolean {
  const name = awsErrorName(err);
  return (name === 'ValidationException' || name === 'ResourceInUse') && /already exist/i.test(awsErrorMessage(err));
}

/** Returns whether SageMaker rejected a describe or delete because the resource does not exist. */
export function isNotFound(err: unknown): boolean {
  const name = awsErrorName(err);
  return name === 'ResourceNotFound' || (name === 'ValidationException' && /could not find/i.test(awsErrorMessage(err)));
}

const QUOTA_NAMES: Record<NonNullable<CallContext['quota']>['kind'], (instanceType: string) => string> = {
  training: (type) => `"${type} for training job usage"`,
  'spot-training': (type) => `"${type} for spot training job usage"`,
  endpoint: (type) => `"${type} for endpoint usage"`,
};

/**
 * Maps an AWS SDK error to the error the activity throws. The SDK has already
 * retried throttling and 5xx errors with backoff and jitter by the time one
 * arrives here; Temporal retries the activity after that. The original error is always kept as `cause`.
 */
export function classifyAwsError(err: unknown, context: CallContext): Error {
  const name = awsErrorName(err);
  const message = awsErrorMessage(err);
  const where = `${context.operation} of ${context.resource}`;

  if (name === 'ResourceLimitExceeded') {
    const quota = context.quota ? `the SageMaker quota ${QUOTA_NAMES[context.quota.kind](context.quota.instanceType)}` : 'a SageMaker quota';
    return new QuotaExceededError(
      `${where} failed because ${quota} is used up (${message}). ` +
        'Request a higher value in the AWS Service Quotas console, or pick another instance type, then retry.',
      { cause: err },
    );
  }
  if (name && THROTTLING_NAMES.has(name)) {
    return new ThrottledError(`${where} was throttled by AWS after the SDK's retries (${message}); it is retried later`, { cause: err });
  }
  if (name === 'ValidationException') {
    return new InvalidInputError(`${where} was rejected by SageMaker: ${message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(`${where} failed: ${message}`, { cause: err });
}
