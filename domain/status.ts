/**
 * Plain-JSON shapes of a project's state as the workflow reports it. They
 * travel through queries, updates and continue-as-new, so they contain no
 * Map, Set or class instances.
 */
import type { Gate, Phase } from './constants';

/**
 * The decision a stakeholder records at a gate. `request-changes` asks the
 * owner to revise the spec and needs a comment that names the change.
 */
export type Decision = 'approved' | 'rejected' | 'request-changes';

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
  /** Seconds billed, all instances. */
  billableSeconds?: number;
  /** Seconds trained, all instances, where the provider reports it; a spot job bills fewer seconds than it trains. */
  trainingSeconds?: number;
  /** Share of the training time not billed thanks to managed spot training, in percent (spot jobs with a reported training time). */
  spotSavingsPercent?: number;
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
  /** Hosting price per instance-hour the endpoint is metered at. */
  pricePerHourUsd?: number;
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

/** Result of one short load test of a temporary endpoint of one instance, as the deployment review and the report show it. */
export interface LoadTestResult {
  instanceType: string;
  /** On-demand hosting price per instance-hour the sizing and unit costs use. */
  pricePerHourUsd: number;
  /** Requests sent, failed ones included. */
  requests: number;
  errors: number;
  /** Requests in flight at once. */
  concurrency: number;
  durationSeconds: number;
  /** Successful requests per second over the whole test. */
  throughputRps: number;
  /** Client-side latency of the successful requests, in milliseconds. */
  latencyMs: { p50: number; p95: number; max: number };
  /** ISO-8601 time the test ended. */
  at: string;
}

/** Metered spend compared with what Cost Explorer reports (SageMaker projects), and the month-end forecast. */
export interface CostCheck {
  at: string;
  /** Cost Explorer metric, such as UnblendedCost. */
  metric: string;
  meteredUsd: number;
  /** Undefined when Cost Explorer reported nothing usable (inactive tag, call budget used, access denied). */
  reportedUsd?: number;
  differenceUsd?: number;
  differencePercent?: number;
  /** Forecast spend from today to the end of the month, from GetCostForecast. */
  forecastRestOfMonthUsd?: number;
  /** Tag status, data lag, why a figure is missing. */
  notes: string[];
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
  /** Load tests of hosting instance types run after the benchmark, one per type. */
  loadTests?: LoadTestResult[];
  endpoint?: EndpointSummary;
  retrainings: RetrainingSummary[];
  lastMonitoring?: MonitoringSnapshot;
  /** Latest Cost Explorer reconciliation (SageMaker projects). */
  costCheck?: CostCheck;
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
  /** Headline figures for business readers, shown above everything else, with warnings such as over budget first. */
  keyFigures?: KeyFigure[];
  /** The cost difference to the previous spec, present when a revised spec opened this round. */
  changes?: ReviewChanges;
}

/** One headline figure of a review, with its value preformatted. */
export interface KeyFigure {
  label: string;
  value: string;
  /** True when the figure needs the reader's attention, such as an estimate above a budget. */
  warning?: boolean;
}

/** One changed line of the estimate diff, with its values preformatted. */
export interface ReviewChangeLine {
  /** `+` costs more, `-` costs less, `~` a changed setting. */
  mark: '+' | '-' | '~';
  item: string;
  before: string;
  after: string;
  /** Signed difference such as `+$12.00`, or `changed` for a setting. */
  change: string;
}

/** The estimate of the previous spec against the revised one, changed lines only, like a plan diff. */
export interface ReviewChanges {
  /** Reason for the revision, as its author wrote it. */
  reason?: string;
  /** Only the lines whose value changed; empty when the revision leaves the estimate as it was. */
  lines: ReviewChangeLine[];
  /** Change of the estimated cost per month in USD; undefined when an estimate could not be computed. */
  perMonthChangeUsd?: number;
  /** One sentence: how many lines changed and by how much the cost per month changes, or why no diff could be made. */
  summary: string;
}
