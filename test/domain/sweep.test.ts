/** The sweeper's decisions: which tagged resources it stops, deletes or leaves alone, and the report it builds. */
import { MANAGED_BY_VALUE } from '../../domain/constants';
import {
  buildSweepReport,
  dryRunRecords,
  formatSweepReport,
  planSweep,
  sweepReportSubject,
  type ProjectWorkflowState,
  type SweepDecision,
  type SweepResource,
} from '../../domain/sweep';

const NOW = '2026-03-01T12:00:00.000Z';
const AN_HOUR_AGO = '2026-03-01T11:00:00.000Z';
const FIVE_MINUTES_AGO = '2026-03-01T11:55:00.000Z';

const PROJECTS: Record<string, ProjectWorkflowState> = {
  'churn-live': { state: 'running' },
  'churn-closed': { state: 'closed', workflowStatus: 'COMPLETED', closedAt: '2026-02-28T09:00:00.000Z' },
  'churn-gone': { state: 'missing' },
};

function endpoint(overrides: Partial<SweepResource> = {}): SweepResource {
  return {
    kind: 'endpoint',
    name: 'churn-endpoint',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-endpoint',
    status: 'InService',
    createdAt: AN_HOUR_AGO,
    projectId: 'churn-gone',
    managedBy: MANAGED_BY_VALUE,
    ...overrides,
  };
}

function trainingJob(overrides: Partial<SweepResource> = {}): SweepResource {
  return {
    ...endpoint(),
    kind: 'training-job',
    name: 'churn-bench-0',
    arn: 'arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-bench-0',
    status: 'InProgress',
    ...overrides,
  };
}

function decide(resource: SweepResource, graceMinutes?: number): SweepDecision {
  return planSweep({ resources: [resource], projects: PROJECTS, now: NOW, ...(graceMinutes !== undefined ? { graceMinutes } : {}) })[0];
}

describe('planSweep', () => {
  const cases: { name: string; resource: SweepResource; graceMinutes?: number; action: string; reason?: string }[] = [
    { name: 'orphan endpoint of missing project deleted', resource: endpoint(), action: 'delete-endpoint' },
    { name: 'endpoint of closed project deleted', resource: endpoint({ projectId: 'churn-closed' }), action: 'delete-endpoint' },
    { name: 'running job of missing project stopped', resource: trainingJob(), action: 'stop-training-job' },
    { name: 'running job of closed project stopped', resource: trainingJob({ projectId: 'churn-closed' }), action: 'stop-training-job' },
    { name: 'failed endpoint of ended project deleted', resource: endpoint({ status: 'Failed' }), action: 'delete-endpoint' },
    { name: 'out-of-service endpoint deleted', resource: endpoint({ status: 'OutOfService' }), action: 'delete-endpoint' },
    { name: 'untagged endpoint never touched', resource: endpoint({ managedBy: undefined, projectId: undefined }), action: 'leave', reason: 'not-managed' },
    { name: 'project tag alone is not enough', resource: endpoint({ managedBy: undefined }), action: 'leave', reason: 'not-managed' },
    { name: 'other managed-by value never touched', resource: endpoint({ managedBy: 'someone-else' }), action: 'leave', reason: 'not-managed' },
    { name: 'untagged running job never stopped', resource: trainingJob({ managedBy: undefined }), action: 'leave', reason: 'not-managed' },
    { name: 'endpoint of running project kept', resource: endpoint({ projectId: 'churn-live' }), action: 'leave', reason: 'project-running' },
    { name: 'job of running project kept', resource: trainingJob({ projectId: 'churn-live' }), action: 'leave', reason: 'project-running' },
    { name: 'young endpoint kept during grace', resource: endpoint({ createdAt: FIVE_MINUTES_AGO }), action: 'leave', reason: 'within-grace-period' },
    { name: 'young job kept during grace', resource: trainingJob({ createdAt: FIVE_MINUTES_AGO }), action: 'leave', reason: 'within-grace-period' },
    { name: 'grace of zero acts at once', resource: endpoint({ createdAt: NOW }), graceMinutes: 0, action: 'delete-endpoint' },
    { name: 'custom grace period is honoured', resource: endpoint(), graceMinutes: 90, action: 'leave', reason: 'within-grace-period' },
    { name: 'resource exactly at grace acted on', resource: endpoint({ createdAt: '2026-03-01T11:45:00.000Z' }), action: 'delete-endpoint' },
    { name: 'unparseable creation time kept', resource: endpoint({ createdAt: '' }), action: 'leave', reason: 'unknown-creation-time' },
    { name: 'deleting endpoint not deleted twice', resource: endpoint({ status: 'Deleting' }), action: 'leave', reason: 'already-deleting' },
    { name: 'stopping job not stopped twice', resource: trainingJob({ status: 'Stopping' }), action: 'leave', reason: 'already-stopping' },
    { name: 'completed job not stopped', resource: trainingJob({ status: 'Completed' }), action: 'leave', reason: 'not-billing' },
    { name: 'stopped job not stopped', resource: trainingJob({ status: 'Stopped' }), action: 'leave', reason: 'not-billing' },
    { name: 'failed job not stopped', resource: trainingJob({ status: 'Failed' }), action: 'leave', reason: 'not-billing' },
    { name: 'creating endpoint waits for next sweep', resource: endpoint({ status: 'Creating' }), action: 'leave', reason: 'endpoint-busy' },
    { name: 'updating endpoint waits for next sweep', resource: endpoint({ status: 'Updating' }), action: 'leave', reason: 'endpoint-busy' },
    { name: 'managed resource without project kept', resource: endpoint({ projectId: undefined }), action: 'leave', reason: 'no-project-tag' },
    { name: 'unread project state kept', resource: endpoint({ projectId: 'never-read' }), action: 'leave', reason: 'project-state-unknown' },
  ];

  test.each(cases)('$name', ({ resource, graceMinutes, action, reason }) => {
    const decision = decide(resource, graceMinutes);
    expect(decision.action).toBe(action);
    if (reason) expect(decision.reason).toBe(reason);
  });

  test('reason names the ended project', () => {
    const closed = decide(endpoint({ projectId: 'churn-closed' }));
    expect(closed.reason).toBe('project churn-closed ended at 2026-02-28T09:00:00.000Z (workflow COMPLETED)');
    const missing = decide(endpoint());
    expect(missing.reason).toBe('project churn-gone has no workflow');
  });

  test('keeps the order of resources', () => {
    const names = ['a', 'b', 'c'];
    const decisions = planSweep({ resources: names.map((name) => endpoint({ name })), projects: PROJECTS, now: NOW });
    expect(decisions.map((d) => d.resource.name)).toEqual(names);
  });

  test('negative grace period rejected', () => {
    expect(() => planSweep({ resources: [], projects: PROJECTS, now: NOW, graceMinutes: -1 })).toThrow(/invalid grace period -1 minutes/);
  });

  test('invalid sweep time rejected', () => {
    expect(() => planSweep({ resources: [], projects: PROJECTS, now: 'yesterday' })).toThrow(/invalid sweep time 'yesterday'/);
  });
});

describe('sweep report', () => {
  const resources = [
    endpoint({ name: 'orphan' }),
    endpoint({ name: 'kept', projectId: 'churn-live' }),
    endpoint({ name: 'foreign', managedBy: undefined, projectId: undefined }),
    trainingJob({ name: 'orphan-job' }),
  ];
  const decisions = planSweep({ resources, projects: PROJECTS, now: NOW });
  const report = buildSweepReport({ dryRun: true, startedAt: NOW, finishedAt: NOW, graceMinutes: 15, decisions, actions: dryRunRecords(decisions) });

  test('dry run marks would-be actions', () => {
    expect(report.actions.map((a) => [a.name, a.outcome])).toEqual([
      ['orphan', 'would-delete'],
      ['orphan-job', 'would-stop'],
    ]);
  });

  test('unmanaged resources counted, not listed', () => {
    expect(report.found).toEqual({ trainingJobs: 1, endpoints: 3, unmanaged: 1 });
    expect(report.leftAlone.map((item) => item.name)).toEqual(['kept']);
  });

  test('text lists every section', () => {
    const text = formatSweepReport(report);
    expect(text).toContain('Sweeper dry run at 2026-03-01T12:00:00.000Z: nothing was stopped or deleted.');
    expect(text).toContain('Would delete (1):\n  endpoint orphan (InService): project churn-gone has no workflow');
    expect(text).toContain('Would stop (1):\n  training-job orphan-job (InProgress): project churn-gone has no workflow');
    expect(text).toContain('Left alone (1):\n  endpoint kept (InService): project churn-live is still running');
    expect(text).not.toContain('foreign');
  });

  test('zero grace period worded plainly', () => {
    expect(formatSweepReport({ ...report, graceMinutes: 0 })).toContain('No grace period: resources of ended projects are acted on whatever their age.');
    expect(formatSweepReport({ ...report, graceMinutes: 15 })).toContain('Resources younger than 15 minutes are left alone.');
  });

  test('subject counts failures', () => {
    expect(sweepReportSubject(report)).toBe('Sweeper dry run: 2 resources to stop or delete');
    const failedRun = { ...report, dryRun: false, failed: 1 };
    expect(sweepReportSubject(failedRun)).toBe('Sweeper: 2 resources stopped or deleted, 1 failed');
  });
});
