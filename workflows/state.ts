/**
 * The project workflow's state: the status clients see plus the bookkeeping
 * the monitoring loop needs. Plain JSON, carried whole through
 * continue-as-new.
 */
import type { ProjectSpec } from '../domain/spec';
import type { Phase } from '../domain/constants';
import type { ProjectStatus } from '../domain/status';
import type { Recommendation } from '../activities/contracts';

export interface MonitoringBookkeeping {
  /** Endpoint revision: 1 for the first deployment, one more per model change. */
  revision: number;
  /** Folder of the serving model, which contains its baseline statistics. */
  modelArtifacts: string;
  /** Configuration used for retraining and redeployment. */
  configuration: Recommendation;
  /** When the serving model started serving; drift is judged on requests after it. */
  servingSince: string;
  lastCheckAt: string;
  lastInvocationAt: string;
  lastRetrainingAt?: string;
  /** Budget alert thresholds (fractions) already sent, so each is sent once. */
  alertsSent: number[];
  /** Highest endpoint revision number used so far, rolled-back updates included; absent means `revision`. */
  lastRevision?: number;
  /** Hosting cost metered by the workflow (SageMaker projects), in USD, over every deployment so far. */
  hostingUsd?: number;
}

export interface ProjectState {
  status: ProjectStatus;
  monitoring?: MonitoringBookkeeping;
  /** Review round of each gate, so a resent request gets new links. */
  rounds: Record<string, number>;
  closeRequested?: { reason: string };
  /** The spec in force when it was revised after the start; absent means the workflow input's spec. */
  spec?: ProjectSpec;
  /** The spec before the last revision and why it changed, shown as a cost diff until the cost review is approved. */
  revision?: { previousSpec: ProjectSpec; reason: string };
  /** A revised spec received and not yet applied by the review loop. */
  pendingRevision?: { spec: ProjectSpec; specDir: string; reason: string };
  /** Folder of the revised spec; absent means the workflow input's folder. */
  specDir?: string;
  redeployRequested: boolean;
}

export function initialState(spec: ProjectSpec, now: string): ProjectState {
  const phase: Phase = 'requirements-review';
  return {
    status: {
      projectId: spec.id,
      name: spec.name,
      owner: spec.owner,
      phase,
      phaseHistory: [{ phase, at: now }],
      approvals: [],
      reviews: [],
      trainingJobs: [],
      retrainings: [],
      spendUsd: 0,
      budgetUsd: spec.budgets.totalUsd,
    },
    rounds: {},
    redeployRequested: false,
  };
}
