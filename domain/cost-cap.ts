/**
 * The cost cap of a training job. SageMaker caps only run time, so the
 * product meters price × billed time itself and stops a job before it would
 * pass its cap, with MaxRuntimeInSeconds as a backstop if metering fails.
 */
import { formatUsd } from './money';

/**
 * SageMaker's upper bound for StoppingCondition.MaxRuntimeInSeconds: 28 days
 * (API documentation of StoppingCondition, @aws-sdk/client-sagemaker 3.x).
 */
export const SAGEMAKER_MAX_RUNTIME_SECONDS = 28 * 24 * 3600;

export interface CapCheckInput {
  /** Price per instance-hour the job is billed at (the spot price for spot jobs). */
  pricePerHourUsd: number;
  instanceCount: number;
  /** Instance-seconds billed so far, summed over all instances, as the provider reports them. */
  billableSeconds: number;
  capUsd: number;
  /** Seconds until the next check. */
  pollIntervalSeconds: number;
  /**
   * Seconds a stop takes to end billing. SageMaker sends SIGTERM and waits
   * up to 120 s before it ends the job (SageMaker StoppingCondition
   * documentation), and that time is billed.
   */
  stopGraceSeconds: number;
}

export interface CapCheck {
  stop: boolean;
  /** Cost so far. */
  spentUsd: number;
  /** Cost if the job runs until the next check and then takes the full stop grace to end. */
  projectedUsd: number;
  reason: string;
}

/**
 * Decides whether to stop a job now. Waiting means the job runs another
 * poll interval, and a stop then still bills the stop grace, so the job is
 * stopped now when spent + (poll + grace) × count × price would pass the
 * cap. A cap of 0 or less stops at once. Amounts are compared to a
 * millionth of a dollar, so float noise cannot flip an exact tie, and a
 * projection equal to the cap does not stop.
 */
export function shouldStopForCap(input: CapCheckInput): CapCheck {
  const perSecondUsd = input.pricePerHourUsd / 3600;
  const spentUsd = input.billableSeconds * perSecondUsd;
  const aheadSeconds = input.pollIntervalSeconds + input.stopGraceSeconds;
  const projectedUsd = spentUsd + aheadSeconds * input.instanceCount * perSecondUsd;
  const stop = input.capUsd <= 0 || toMicros(projectedUsd) > toMicros(input.capUsd);

  const figures =
    `${formatUsd(spentUsd)} spent, ${formatUsd(projectedUsd)} projected after the next check in ` +
    `${input.pollIntervalSeconds} s plus ${input.stopGraceSeconds} s to stop`;
  const reason = stop
    ? `stopping to stay within the cost cap of ${formatUsd(input.capUsd)}: ${figures}`
    : `within the cost cap of ${formatUsd(input.capUsd)}: ${figures}`;
  return { stop, spentUsd, projectedUsd, reason };
}

/**
 * Returns the run time in whole seconds (rounded down) that `capUsd` buys at
 * `pricePerHourUsd` per instance-hour on `instanceCount` instances, for
 * SageMaker's MaxRuntimeInSeconds. The result is at least 1 s (the API
 * minimum; one second over a cap this small costs a fraction of a cent) and
 * at most SAGEMAKER_MAX_RUNTIME_SECONDS, which is also the result for a
 * price of 0. Throws RangeError for a negative price or cap, or an instance
 * count below 1.
 */
export function maxRuntimeForCap(capUsd: number, pricePerHourUsd: number, instanceCount: number): number {
  if (capUsd < 0 || pricePerHourUsd < 0 || !(instanceCount >= 1)) {
    throw new RangeError(
      `invalid cap input: cap ${capUsd}, price ${pricePerHourUsd}, instance count ${instanceCount}; ` +
        'expected a cap and price of 0 or more and at least 1 instance',
    );
  }
  if (pricePerHourUsd === 0) return SAGEMAKER_MAX_RUNTIME_SECONDS;
  // Cut float noise first, so that 1 / 3.6 × 3600 is 1000 s rather than 999.
  const seconds = Math.floor(Number(((capUsd * 3600) / (pricePerHourUsd * instanceCount)).toPrecision(12)));
  return Math.min(Math.max(seconds, 1), SAGEMAKER_MAX_RUNTIME_SECONDS);
}

function toMicros(usd: number): number {
  return Math.round(usd * 1e6);
}
