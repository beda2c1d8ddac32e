/**
 * Names shared by workflows, activities, workers and clients. Every literal
 * that crosses a process boundary (task queue, search attribute, tag key,
 * phase, gate) is defined once here.
 */

export const DEFAULT_NAMESPACE = 'default';
export const TASK_QUEUE = 'mlops-lifecycle';

/** Prefix of every project workflow id; the rest is the project id. */
export const PROJECT_WORKFLOW_PREFIX = 'mlops-project-';

export function projectWorkflowId(projectId: string): string {
  return `${PROJECT_WORKFLOW_PREFIX}${projectId}`;
}

/** Custom search attributes registered on the Temporal namespace. */
export const SEARCH_ATTRIBUTES = {
  phase: 'MlopsPhase',
  owner: 'MlopsOwner',
  projectId: 'MlopsProjectId',
  spendUsd: 'MlopsSpendUsd',
} as const;

/** Cost-allocation tag keys put on every billable resource. */
export const TAG_KEYS = {
  project: 'mlops:project',
  step: 'mlops:step',
  managedBy: 'mlops:managed-by',
} as const;
export const MANAGED_BY_VALUE = 'mlops-orchestrator';

/** Lifecycle phases, in the order a project passes them. */
export const PHASES = [
  'requirements-review',
  'cost-review',
  'benchmarking',
  'deployment-review',
  'deploying',
  'monitoring',
  'retraining',
  'shut-down',
  'rejected',
  'failed',
  'closed',
] as const;
export type Phase = (typeof PHASES)[number];

/** Phases after which the workflow has ended and nothing bills. */
export const END_PHASES: readonly Phase[] = ['rejected', 'failed', 'closed'];

/** Review gates: each needs the approval of the roles the spec names for it. */
export const GATES = ['requirements', 'cost', 'deployment'] as const;
export type Gate = (typeof GATES)[number];

export const GATE_PHASE: Record<Gate, Phase> = {
  requirements: 'requirements-review',
  cost: 'cost-review',
  deployment: 'deployment-review',
};

export const ROLES = ['ml-engineer', 'data-scientist', 'mlops-engineer', 'architect', 'business'] as const;
export type Role = (typeof ROLES)[number];

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, invalidInput: 2 } as const;
