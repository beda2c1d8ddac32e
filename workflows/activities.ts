/**
 * Activity proxies shared by the workflows, with explicit timeouts and one
 * retry policy. Activities are short: long waits (training, endpoint
 * creation) are polled from workflows with timers.
 */
import { proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/contracts';

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['InvalidInput', 'QuotaExceeded'],
};

export const acts = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 minutes',
  retry,
});

/** Endpoint creation and updates start processes or call AWS and may take longer. */
export const slowActs = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry,
});
