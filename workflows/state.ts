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
}

export interface ProjectState {
  status: ProjectStatus;
  monitoring?: MonitoringBookkeeping;
  /** Review round of each gate, so a resent request gets new links. */
  rounds: Record<string, number>;
  closeRequested?: { reason: string };
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
