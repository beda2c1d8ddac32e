/**
 * Plain-JSON shapes of a project's state as the workflow reports it. They
 * travel through queries, updates and continue-as-new, so they contain no
 * Map, Set or class instances.
 */
import type { Gate, Phase } from './constants';

export type Decision = 'approved' | 'rejected';

/** One approval requested from one stakeholder at one gate. */
export interface ApprovalRecord {
  gate: Gate;
  /** Review round of the gate, starting at 1. */
  round: number;
  email: string;
  name: string;
  role: string;
  /** Empty while pending. */
  decision: Decision | '';
  comment?: string;
  /** ISO-8601 time of the request, then of the decision. */
  requestedAt: string;
  at?: string;
}

export interface TrainingJobSummary {
  name: string;
  /** Why the job ran: a benchmark candidate or a retraining. */
  purpose: 'benchmark' | 'retraining';
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  status: string;
  /** Price per instance-hour the job is billed at (the spot price for spot jobs). */
  pricePerHourUsd: number;
  costUsd: number;
  capUsd: number;
  durationSeconds: number;
  /** True when the cost cap stopped the job. */
  stopped: boolean;
  metrics: Record<string, number>;
  resourceUsage?: { cpuPercentMax: number; cpuPercentAvg: number; memoryMiBMax: number };
  modelArtifacts?: string;
  failureReason?: string;
}

export interface EndpointSummary {
  name: string;
  url?: string;
  status: string;
  instanceType: string;
  instanceCount: number;
  modelName: string;
  configName: string;
}

export interface RetrainingSummary {
  at: string;
  driftScore: number;
  jobName: string;
  /** Objective metric of the new model and of the serving model on the same data. */
  candidateMetric?: number;
  championMetric?: number;
  outcome: 'deployed' | 'kept-current' | 'failed';
  reason: string;
}

export interface MonitoringSnapshot {
  at: string;
  /** Invocations in the window of this check. */
  invocations: number;
  /** Invocations counted by every check since the first deployment. */
  invocationsTotal?: number;
  errors: number;
  latencyMsAvg?: number;
  driftScore?: number;
  spendUsd: number;
}

export interface ProjectStatus {
  projectId: string;
  name: string;
  owner: string;
  phase: Phase;
  /** Every phase entered so far, in order, with its start time. */
  phaseHistory: { phase: Phase; at: string }[];
  approvals: ApprovalRecord[];
  /** Gate currently waiting for decisions, if any. */
  pendingGate?: Gate;
  /** The summary of every review round requested so far, newest last. */
  reviews: ReviewSummary[];
  estimate?: unknown;
  trainingJobs: TrainingJobSummary[];
  recommendation?: { instanceType: string; instanceCount: number; spot: boolean; reason: string };
  endpoint?: EndpointSummary;
  retrainings: RetrainingSummary[];
  lastMonitoring?: MonitoringSnapshot;
  spendUsd: number;
  budgetUsd: number;
  /** Reason the endpoint was shut down (idle, budget) or the project ended. */
  shutdownReason?: string;
  failure?: string;
}

/** A table in a review summary. Cells are preformatted text. */
export interface SummaryTable {
  caption: string;
  columns: string[];
  rows: string[][];
}

/**
 * Summary of what a stakeholder approves at a gate. The same document is rendered as
 * the e-mail body, the approval page and the CLI output.
 */
export interface ReviewSummary {
  gate: Gate;
  round: number;
  title: string;
  /** Short paragraphs of plain text. */
  paragraphs: string[];
  tables: SummaryTable[];
  /** Caveats the approver should know, such as cost items the estimate leaves out. */
  notes: string[];
}
