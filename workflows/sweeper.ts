/**
 * The sweeper workflow: finds SageMaker training jobs and endpoints that
 * carry the product's tags but whose project workflow has ended or no
 * longer exists, stops or deletes them (or only reports them in a dry run),
 * and mails the report. A Temporal Schedule created by client/sweeper.ts
 * runs it.
 */
import { ActivityFailure, ApplicationFailure, log, proxyActivities, type RetryPolicy } from '@temporalio/workflow';
import type { SweeperActivities } from '../activities/sweeper';
import { RETRY_POLICY } from './activities';
import {
  actionDecisions,
  actionRecord,
  buildSweepReport,
  DEFAULT_GRACE_MINUTES,
  dryRunRecords,
  planSweep,
  type SweepActionRecord,
  type SweepDecision,
  type SweepReport,
} from '../domain/sweep';

export interface SweeperInput {
  /** When true, nothing is stopped or deleted, and the report lists what would be. */
  dryRun: boolean;
  /** E-mail addresses that receive the report. Without any, no e-mail is sent. */
  reportTo?: string[];
  /** Minutes a resource is left alone after its creation (default 15). */
  graceMinutes?: number;
}

const retry: RetryPolicy = { ...RETRY_POLICY, maximumAttempts: 5 };

/** Listing calls ListTags once per resource and heartbeats as it goes, so a large account may take minutes. */
const scan = proxyActivities<SweeperActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry,
});

const act = proxyActivities<SweeperActivities>({
  startToCloseTimeout: '2 minutes',
  retry,
});

/** Stops and deletes run this many at a time, because SageMaker throttles bursts of requests. */
const ACTION_BATCH_SIZE = 10;

export async function sweeperWorkflow(input: SweeperInput): Promise<SweepReport> {
  const graceMinutes = input.graceMinutes ?? DEFAULT_GRACE_MINUTES;
  if (!Number.isFinite(graceMinutes) || graceMinutes < 0) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      nonRetryable: true,
      message: `invalid graceMinutes ${graceMinutes}: expected a number of minutes of 0 or more`,
    });
  }
  const reportTo = input.reportTo ?? [];
  const startedAt = new Date().toISOString();

  const resources = await scan.listTaggedResources();
  const projectIds = [...new Set(resources.flatMap((resource) => (resource.projectId ? [resource.projectId] : [])))].sort();
  const projects = projectIds.length > 0 ? await scan.readProjectStates(projectIds) : {};
  const decisions = planSweep({ resources, projects, now: new Date().toISOString(), graceMinutes });

  const actions = input.dryRun ? dryRunRecords(decisions) : await applyActions(decisions);
  const report = buildSweepReport({ dryRun: input.dryRun, startedAt, finishedAt: new Date().toISOString(), graceMinutes, decisions, actions });
  log.info('sweep finished', { dryRun: input.dryRun, actions: actions.length, failed: report.failed });

  if (reportTo.length > 0) {
    report.mail = { to: reportTo };
    try {
      await act.sendSweepReport({ to: reportTo, report });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      report.mail.error = failureMessage(err);
      log.warn('sweeper report e-mail failed', { to: reportTo, error: report.mail.error });
    }
  }
  return report;
}

/** Runs every stop and delete. A failed one is recorded with its error and does not stop the others. */
async function applyActions(decisions: SweepDecision[]): Promise<SweepActionRecord[]> {
  const pending = actionDecisions(decisions);
  const records: SweepActionRecord[] = [];
  for (let start = 0; start < pending.length; start += ACTION_BATCH_SIZE) {
    const batch = pending.slice(start, start + ACTION_BATCH_SIZE);
    const results = await Promise.all(
      batch.map(async (decision) => {
        try {
          const result = await act.applySweepAction({ action: decision.action, name: decision.resource.name });
          return actionRecord(decision, result.outcome, result.detail);
        } catch (err) {
          if (!(err instanceof ActivityFailure)) throw err;
          const message = failureMessage(err);
          log.warn('sweeper action failed', { action: decision.action, resource: decision.resource.name, error: message });
          return actionRecord(decision, 'failed', message);
        }
      }),
    );
    records.push(...results);
  }
  return records;
}

/** Returns the message of the activity's own error, which the ActivityFailure wraps as its cause. */
function failureMessage(err: ActivityFailure): string {
  return err.cause?.message || err.message;
}
