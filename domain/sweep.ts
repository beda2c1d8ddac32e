/**
 * Decisions of the sweeper, which stops training jobs and deletes endpoints
 * that the product created for a project whose workflow has ended or no
 * longer exists. The sweeper workflow runs these functions, so they take the
 * current time as input and do no I/O.
 */
import { MANAGED_BY_VALUE, TAG_KEYS } from './constants';

/** Minutes a resource is left alone after its creation, because its project may still be starting. */
export const DEFAULT_GRACE_MINUTES = 15;

export type SweepResourceKind = 'training-job' | 'endpoint';

/** A SageMaker training job or endpoint as the sweeper lists it, with the values of its mlops tags. */
export interface SweepResource {
  kind: SweepResourceKind;
  name: string;
  arn: string;
  /** SageMaker's own status name: a TrainingJobStatus or an EndpointStatus. */
  status: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** Value of the project tag (TAG_KEYS.project), absent when the resource has none. */
  projectId?: string;
  /** Value of the managed-by tag (TAG_KEYS.managedBy), absent when the resource has none. */
  managedBy?: string;
}

/**
 * State of a project's workflow. `closed` covers every ended run (completed,
 * failed, cancelled, terminated, timed out). `missing` means Temporal has no
 * workflow of that id, for example because the retention period of a closed
 * run has passed.
 */
export type ProjectWorkflowState =
  | { state: 'running' }
  | { state: 'closed'; workflowStatus: string; closedAt?: string }
  | { state: 'missing' };

/** Reason a resource is left alone. */
export type LeaveReason =
  | 'not-managed'
  | 'no-project-tag'
  | 'not-billing'
  | 'already-stopping'
  | 'already-deleting'
  | 'project-running'
  | 'project-state-unknown'
  | 'within-grace-period'
  | 'unknown-creation-time'
  | 'endpoint-busy';

export type SweepAction = 'stop-training-job' | 'delete-endpoint';

export type SweepDecision =
  | { action: SweepAction; resource: SweepResource; reason: string }
  | { action: 'leave'; resource: SweepResource; reason: LeaveReason; detail: string };

export interface SweepPlanInput {
  resources: SweepResource[];
  /** Workflow state by project id. The resources of a project absent here are left alone. */
  projects: Record<string, ProjectWorkflowState>;
  /** ISO-8601 time the ages are measured against. */
  now: string;
  graceMinutes?: number;
}

/** Endpoint statuses of a change in progress. The SageMaker provider waits these out before a delete, so the sweeper leaves them to a later sweep. */
const BUSY_ENDPOINT_STATUSES = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/** Returns whether the resource carries the managed-by tag with this product's value. */
export function isManaged(resource: SweepResource): boolean {
  return resource.managedBy === MANAGED_BY_VALUE;
}

/** Decides, for every resource, whether to stop it, delete it or leave it alone, in the order given. */
export function planSweep(input: SweepPlanInput): SweepDecision[] {
  const graceMinutes = input.graceMinutes ?? DEFAULT_GRACE_MINUTES;
  if (!Number.isFinite(graceMinutes) || graceMinutes < 0) {
    throw new RangeError(`invalid grace period ${graceMinutes} minutes: expected a number of minutes of 0 or more`);
  }
  const nowMs = Date.parse(input.now);
  if (Number.isNaN(nowMs)) {
    throw new RangeError(`invalid sweep time '${input.now}': expected an ISO-8601 time`);
  }
  return input.resources.map((resource) => decideResource(resource, input.projects, nowMs, graceMinutes * 60_000));
}

function decideResource(resource: SweepResource, projects: Record<string, ProjectWorkflowState>, nowMs: number, graceMs: number): SweepDecision {
  const leave = (reason: LeaveReason, detail: string): SweepDecision => ({ action: 'leave', resource, reason, detail });

  if (!isManaged(resource)) {
    return leave('not-managed', `no ${TAG_KEYS.managedBy}=${MANAGED_BY_VALUE} tag, so this product did not create it`);
  }

  if (resource.kind === 'training-job') {
    if (resource.status === 'Stopping') return leave('already-stopping', 'the training job is already stopping');
    if (resource.status !== 'InProgress') return leave('not-billing', `the training job is ${resource.status} and no longer bills`);
  } else if (resource.status === 'Deleting') {
    return leave('already-deleting', 'the endpoint is already being deleted');
  }

  const projectId = resource.projectId;
  if (!projectId) {
    return leave('no-project-tag', `no ${TAG_KEYS.project} tag, so its project cannot be checked; delete it by hand if nothing uses it`);
  }

  const project = projects[projectId];
  if (!project) return leave('project-state-unknown', `the state of project ${projectId} was not read`);
  if (project.state === 'running') return leave('project-running', `project ${projectId} is still running`);

  const createdMs = Date.parse(resource.createdAt);
  if (Number.isNaN(createdMs)) {
    return leave('unknown-creation-time', `creation time '${resource.createdAt}' is not a time, so its age is unknown`);
  }
  const ageMinutes = Math.floor((nowMs - createdMs) / 60_000);
  if (nowMs - createdMs < graceMs) {
    return leave('within-grace-period', `created ${ageMinutes} minutes ago, within the grace period of ${graceMs / 60_000} minutes`);
  }

  if (resource.kind === 'endpoint' && BUSY_ENDPOINT_STATUSES.has(resource.status)) {
    return leave('endpoint-busy', `the endpoint is ${resource.status}; a later sweep deletes it once that finishes`);
  }

  const reason = describeEndedProject(projectId, project);
  return resource.kind === 'training-job'
    ? { action: 'stop-training-job', resource, reason }
    : { action: 'delete-endpoint', resource, reason };
}

function describeEndedProject(projectId: string, project: Exclude<ProjectWorkflowState, { state: 'running' }>): string {
  if (project.state === 'missing') return `project ${projectId} has no workflow`;
  const when = project.closedAt ? ` at ${project.closedAt}` : '';
  return `project ${projectId} ended${when} (workflow ${project.workflowStatus})`;
}

/** Result of one stop or delete that the plan chose, or the dry run's mark for it. */
export type SweepOutcome = 'would-stop' | 'would-delete' | 'stopped' | 'deleted' | 'already-done' | 'failed';

export interface SweepActionRecord {
  kind: SweepResourceKind;
  name: string;
  projectId?: string;
  /** Status when the resource was listed. */
  status: string;
  action: SweepAction;
  reason: string;
  outcome: SweepOutcome;
  /** Error message when the outcome is `failed`, or what was found when it is `already-done`. */
  detail?: string;
}

/** A resource carrying the managed-by tag that the sweep left alone. */
export interface SweepLeftAlone {
  kind: SweepResourceKind;
  name: string;
  projectId?: string;
  status: string;
  reason: LeaveReason;
  detail: string;
}

export interface SweepReport {
  dryRun: boolean;
  /** ISO-8601 times of the sweep's start and end. */
  startedAt: string;
  finishedAt: string;
  graceMinutes: number;
  /** Resources listed: training jobs that bill (InProgress or Stopping), every endpoint, and how many of them lack the managed-by tag. */
  found: { trainingJobs: number; endpoints: number; unmanaged: number };
  actions: SweepActionRecord[];
  leftAlone: SweepLeftAlone[];
  /** Number of actions whose outcome is `failed`. */
  failed: number;
  /** Recipients of the e-mail report, and the error when sending it failed. */
  mail?: { to: string[]; error?: string };
}

/** Returns the report's list of planned actions, each marked with what a dry run would do. */
export function dryRunRecords(decisions: SweepDecision[]): SweepActionRecord[] {
  return actionDecisions(decisions).map((decision) =>
    actionRecord(decision, decision.action === 'stop-training-job' ? 'would-stop' : 'would-delete'),
  );
}

/** Returns the decisions that stop or delete something. */
export function actionDecisions(decisions: SweepDecision[]): Extract<SweepDecision, { action: SweepAction }>[] {
  return decisions.filter((decision): decision is Extract<SweepDecision, { action: SweepAction }> => decision.action !== 'leave');
}

export function actionRecord(decision: Extract<SweepDecision, { action: SweepAction }>, outcome: SweepOutcome, detail?: string): SweepActionRecord {
  const { resource } = decision;
  return {
    kind: resource.kind,
    name: resource.name,
    ...(resource.projectId ? { projectId: resource.projectId } : {}),
    status: resource.status,
    action: decision.action,
    reason: decision.reason,
    outcome,
    ...(detail ? { detail } : {}),
  };
}

/** Builds the report from the plan and the records of the actions taken or planned. */
export function buildSweepReport(input: {
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  graceMinutes: number;
  decisions: SweepDecision[];
  actions: SweepActionRecord[];
}): SweepReport {
  const resources = input.decisions.map((decision) => decision.resource);
  const leftAlone: SweepLeftAlone[] = [];
  for (const decision of input.decisions) {
    if (decision.action !== 'leave' || decision.reason === 'not-managed') continue;
    const { resource } = decision;
    leftAlone.push({
      kind: resource.kind,
      name: resource.name,
      ...(resource.projectId ? { projectId: resource.projectId } : {}),
      status: resource.status,
      reason: decision.reason,
      detail: decision.detail,
    });
  }
  return {
    dryRun: input.dryRun,
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    graceMinutes: input.graceMinutes,
    found: {
      trainingJobs: resources.filter((resource) => resource.kind === 'training-job').length,
      endpoints: resources.filter((resource) => resource.kind === 'endpoint').length,
      unmanaged: resources.filter((resource) => !isManaged(resource)).length,
    },
    actions: input.actions,
    leftAlone,
    failed: input.actions.filter((record) => record.outcome === 'failed').length,
  };
}

/** Returns the subject line of the e-mail report, without the `[mlops]` prefix. */
export function sweepReportSubject(report: SweepReport): string {
  const changed = report.actions.length;
  const resources = plural(changed, 'resource');
  const summary = report.dryRun ? `${resources} to stop or delete` : `${resources} stopped or deleted`;
  const failures = report.failed > 0 ? `, ${report.failed} failed` : '';
  return `Sweeper${report.dryRun ? ' dry run' : ''}: ${summary}${failures}`;
}

const OUTCOME_HEADINGS: [SweepOutcome, string][] = [
  ['would-stop', 'Would stop'],
  ['would-delete', 'Would delete'],
  ['stopped', 'Stopped'],
  ['deleted', 'Deleted'],
  ['already-done', 'Already stopped or deleted'],
  ['failed', 'Failed'],
];

/** Renders the report as plain text, for the e-mail body and the CLI. */
export function formatSweepReport(report: SweepReport): string {
  const lines: string[] = [];
  lines.push(
    report.dryRun
      ? `Sweeper dry run at ${report.startedAt}: nothing was stopped or deleted.`
      : `Sweeper run at ${report.startedAt}.`,
  );
  const { trainingJobs, endpoints, unmanaged } = report.found;
  lines.push(
    `Found ${plural(trainingJobs, 'billing training job')} and ${plural(endpoints, 'endpoint')}; ` +
      `${plural(unmanaged, 'resource')} without the ${TAG_KEYS.managedBy}=${MANAGED_BY_VALUE} tag ${unmanaged === 1 ? 'was' : 'were'} not considered.`,
  );
  lines.push(
    report.graceMinutes > 0
      ? `Resources younger than ${report.graceMinutes} minutes are left alone.`
      : 'No grace period: resources of ended projects are acted on whatever their age.',
  );

  for (const [outcome, heading] of OUTCOME_HEADINGS) {
    const records = report.actions.filter((record) => record.outcome === outcome);
    if (records.length === 0) continue;
    lines.push('', `${heading} (${records.length}):`);
    for (const record of records) {
      const detail = record.detail ? `; ${record.detail}` : '';
      lines.push(`  ${record.kind} ${record.name} (${record.status}): ${record.reason}${detail}`);
    }
  }
  if (report.actions.length === 0) lines.push('', 'Nothing to stop or delete.');

  if (report.leftAlone.length > 0) {
    lines.push('', `Left alone (${report.leftAlone.length}):`);
    for (const item of report.leftAlone) {
      lines.push(`  ${item.kind} ${item.name} (${item.status}): ${item.detail}`);
    }
  }
  if (report.mail?.error) lines.push('', `The e-mail report to ${report.mail.to.join(', ')} failed: ${report.mail.error}`);
  return `${lines.join('\n')}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
