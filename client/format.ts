/** Plain-text renderings of project status for the CLI. */
import type { ProjectStatus } from '../domain/status';
import type { ProjectListing } from './projects';

function usd(value: number | undefined): string {
  return value === undefined ? '-' : `$${value.toFixed(4)}`;
}

function table(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (cell ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), ...rows.map(line)].join('\n');
}

/** Names an undecided ballot: `pending` in the gate's latest round, `superseded` in a round a newer one replaced. */
function openOrSuperseded(status: ProjectStatus, ballot: ProjectStatus['approvals'][number]): string {
  const latest = Math.max(...status.approvals.filter((a) => a.gate === ballot.gate).map((a) => a.round));
  return ballot.round < latest ? 'superseded' : 'pending';
}

export function formatStatus(status: ProjectStatus): string {
  const parts: string[] = [];
  parts.push(`project   ${status.projectId} (${status.name})`);
  parts.push(`owner     ${status.owner}`);
  parts.push(`phase     ${status.phase}${status.pendingGate ? ` (waiting for ${status.pendingGate} approvals)` : ''}`);
  parts.push(`spend     ${usd(status.spendUsd)} of $${status.budgetUsd.toFixed(2)} budget`);
  if (status.shutdownReason) parts.push(`reason    ${status.shutdownReason}`);
  if (status.failure) parts.push(`failure   ${status.failure}`);
  if (status.endpoint) parts.push(`endpoint  ${status.endpoint.name} ${status.endpoint.status}${status.endpoint.url ? ` ${status.endpoint.url}` : ''}`);
  if (status.approvals.length > 0) {
    parts.push('', 'approvals');
    parts.push(
      table(
        ['gate', 'round', 'stakeholder', 'role', 'decision', 'at'],
        status.approvals.map((a) => [a.gate, String(a.round), a.email, a.role, a.decision || openOrSuperseded(status, a), a.at ?? '']),
      ),
    );
  }
  if (status.trainingJobs.length > 0) {
    parts.push('', 'training jobs');
    parts.push(
      table(
        ['name', 'purpose', 'instance', 'spot', 'status', 'cost', 'cap', 'stopped by cap'],
        status.trainingJobs.map((j) => [
          j.name,
          j.purpose,
          `${j.instanceCount}x ${j.instanceType}`,
          j.spot ? 'yes' : 'no',
          j.status,
          usd(j.costUsd),
          usd(j.capUsd),
          j.stopped ? 'yes' : 'no',
        ]),
      ),
    );
  }
  if (status.recommendation) parts.push('', `recommendation  ${status.recommendation.instanceCount}x ${status.recommendation.instanceType}: ${status.recommendation.reason}`);
  if (status.retrainings.length > 0) {
    parts.push('', 'retrainings');
    parts.push(table(['at', 'drift', 'job', 'outcome', 'reason'], status.retrainings.map((r) => [r.at, r.driftScore.toFixed(3), r.jobName, r.outcome, r.reason])));
  }
  if (status.lastMonitoring) {
    const m = status.lastMonitoring;
    const total = m.invocationsTotal === undefined ? '' : ` (${m.invocationsTotal} since deployment)`;
    parts.push('', `last check ${m.at}: ${m.invocations} invocations${total}, ${m.errors} errors, drift ${m.driftScore?.toFixed(3) ?? 'n/a'}`);
  }
  if (status.costCheck) {
    const c = status.costCheck;
    const reported = c.reportedUsd === undefined ? 'no figure' : `${usd(c.reportedUsd)} (difference ${usd(c.differenceUsd)})`;
    const forecast = c.forecastRestOfMonthUsd === undefined ? '' : `, forecast for the rest of the month ${usd(c.forecastRestOfMonthUsd)}`;
    parts.push(`cost check ${c.at}: Cost Explorer ${c.metric} ${reported} against ${usd(c.meteredUsd)} metered${forecast}`);
    for (const note of c.notes) parts.push(`  ${note}`);
  }
  return parts.join('\n');
}

export function formatListing(rows: ProjectListing[]): string {
  if (rows.length === 0) return 'no projects';
  return table(
    ['project', 'workflow status', 'phase', 'owner', 'spend', 'started'],
    rows.map((r) => [r.projectId, r.status, r.phase ?? '-', r.owner ?? '-', usd(r.spendUsd), r.startTime]),
  );
}
