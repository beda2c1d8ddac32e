/**
 * Activity proxies shared by the workflows, with explicit timeouts and one
 * retry policy. Activities are short: long waits (training, endpoint
 * creation) are polled from workflows with timers.
 */
import { ActivityFailure, ApplicationFailure, log, proxyActivities, sleep, type RetryPolicy } from '@temporalio/workflow';
import type { LifecycleActivities } from '../activities/contracts';

/** Retry policy of every activity: InvalidInput and QuotaExceeded are not retried, because they do not get better on retry. */
export const RETRY_POLICY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '30s',
  maximumAttempts: 10,
  nonRetryableErrorTypes: ['InvalidInput', 'QuotaExceeded'],
};

/** Maximum wait between two rounds of a throttled activity, in seconds. */
const MAX_THROTTLE_WAIT_SECONDS = 600;

function isThrottled(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'Throttled';
}

/**
 * Wraps activity proxies so that an activity that failed only because AWS
 * kept throttling it (failure type 'Throttled', after every retry of the
 * policy) is scheduled again after a growing, jittered wait, without a
 * bound: throttling passes, and it must never fail a project. Every other
 * failure is thrown as it is. Math.random is deterministic in workflows.
 */
function patient<T extends object>(activities: T): T {
  return new Proxy(activities, {
    get(target, property) {
      const activity = Reflect.get(target, property) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        for (let round = 1; ; round++) {
          try {
            return await activity(...args);
          } catch (err) {
            if (!isThrottled(err)) throw err;
            const waitSeconds = Math.round(Math.min(MAX_THROTTLE_WAIT_SECONDS, 30 * 2 ** (round - 1)) * (0.8 + 0.4 * Math.random()));
            log.warn('activity throttled by AWS; retrying later', { activity: String(property), round, waitSeconds });
            await sleep(`${waitSeconds}s`);
          }
        }
      };
    },
  });
}

export const acts = patient(
  proxyActivities<LifecycleActivities>({
    startToCloseTimeout: '2 minutes',
    retry: RETRY_POLICY,
  }),
);

/** Endpoint creation and updates start processes or call AWS and may take longer. */
export const slowActs = patient(
  proxyActivities<LifecycleActivities>({
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    retry: RETRY_POLICY,
  }),
);

/**
 * Cost Explorer checks: few attempts and no unbounded throttling rounds,
 * because a check that fails is recorded and tried again at the next
 * interval instead of holding up monitoring.
 */
export const costActs = proxyActivities<LifecycleActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { ...RETRY_POLICY, maximumAttempts: 3 },
});

/**
 * Load tests start a temporary endpoint (minutes on SageMaker), send their
 * requests and delete it; the activity heartbeats throughout. A failed
 * attempt deletes what it created, so a few attempts cover one lost
 * response per create call (model, config, endpoint).
 */
export const loadTestActs = patient(
  proxyActivities<LifecycleActivities>({
    startToCloseTimeout: '40 minutes',
    heartbeatTimeout: '2 minutes',
    retry: { ...RETRY_POLICY, maximumAttempts: 5 },
  }),
);
