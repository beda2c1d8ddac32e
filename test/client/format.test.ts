import { formatStatus } from '../../client/format';
import type { ProjectStatus } from '../../domain/status';

function statusWithRounds(): ProjectStatus {
  const ballot = (round: number, decision: '' | 'request-changes') => ({
    gate: 'cost' as const,
    round,
    email: 'bea@example.com',
    name: 'Bea',
    role: 'business' as const,
    decision,
    requestedAt: '2026-03-01T10:00:00.000Z',
  });
  return {
    projectId: 'churn',
    name: 'Churn',
    owner: 'ada@example.com',
    phase: 'cost-review',
    phaseHistory: [],
    approvals: [ballot(1, ''), ballot(2, '')],
    reviews: [],
    trainingJobs: [],
    retrainings: [],
    spendUsd: 0,
    budgetUsd: 100,
    pendingGate: 'cost',
  };
}

test('replaced round shows superseded', () => {
  const rows = formatStatus(statusWithRounds()).split('\n').filter((line) => line.startsWith('cost'));
  expect(rows[0]).toMatch(/^cost\s+1\s.*superseded/);
  expect(rows[1]).toMatch(/^cost\s+2\s.*pending/);
});
