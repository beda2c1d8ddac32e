/**
 * Inputs and outputs of the lifecycle activities. Workflows import this
 * module as types only; activities/index.ts implements it.
 */
import type { Gate } from '../domain/constants';
import type { ProviderTarget } from '../domain/provider-target';
import type { Candidate, ProjectSpec } from '../domain/spec';
import type { CostCheck, EndpointSummary, LoadTestResult, ReviewSummary, TrainingJobSummary } from '../domain/status';

/** The project's spec and the folder it was read from, as workflows pass them to activities. */
export interface SpecContext {
  spec: ProjectSpec;
  /** Absolute folder of the spec file; relative paths in the spec resolve against it. */
  specDir: string;
}

export interface ReviewContext {
  estimate?: unknown;
  trainingJobs?: TrainingJobSummary[];
  recommendation?: Recommendation;
  deployment?: { instanceType: string; instanceCount: number };
  /** Load tests run after the benchmark; the deployment review sizes the endpoint and prices predictions from them. */
  loadTests?: LoadTestResult[];
  /** Spend metered so far, in USD (the status's spendUsd); without it the key figures count the training jobs only. */
  spendUsd?: number;
  /** The spec before the revision that opened this round; the review then shows the estimate diff. */
  previousSpec?: ProjectSpec;
  /** Reason for the revision, such as the comment of the stakeholder who requested changes. */
  changeReason?: string;
}

export interface Recommendation {
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  reason: string;
}

export interface StartTrainingInput extends SpecContext {
  purpose: 'benchmark' | 'retraining';
  /** Distinguishes jobs of one project: the candidate index, or the retraining number. */
  sequence: number;
  candidate: Candidate;
  capUsd: number;
  /** Channels that replace the spec's training channels, such as the newest data and the champion model. */
  channels?: Record<string, string>;
}

/**
 * A resource named by an activity, with the provider it lives on. A bare
 * name (the shape of histories recorded before the sagemaker provider)
 * means the worker's local provider.
 */
export type ResourceRef = string | { name: string; target?: ProviderTarget };

export interface CheckTrainingInput {
  name: string;
  /** Absent in histories recorded before the sagemaker provider: the local provider. */
  target?: ProviderTarget;
  capUsd: number;
  pricePerHourUsd: number;
  instanceCount: number;
  /** Seconds until the workflow checks again; the cap check stops a job that would pass its cap before then. */
  pollSeconds: number;
}

export interface CheckTrainingResult {
  job: TrainingJobSummary;
  terminal: boolean;
  /** True when this check asked the job to stop because of its cost cap. */
  stoppedForCap: boolean;
}

export interface DeployInput extends SpecContext {
  /** Endpoint revision: 1 for the first deployment, then one more per model change. */
  revision: number;
  modelArtifacts: string;
  instanceType: string;
  instanceCount: number;
}

export interface LoadTestEndpointInput extends SpecContext {
  /** Model the temporary endpoint serves: the artifacts of a completed benchmark job. */
  modelArtifacts: string;
  /** Hosting instance type to test, on one instance. */
  instanceType: string;
  /** Bound on the wait for the endpoint to be InService, in seconds; 900 by default. */
  readyTimeoutSeconds?: number;
}

export interface MonitoringInput {
  projectId: string;
  target?: ProviderTarget;
  endpointName: string;
  /** ISO-8601 bounds of the traffic window. */
  windowStart: string;
  windowEnd: string;
  /** Drift is judged on captured requests after this time (the serving model's start). */
  driftSince: string;
  /** Folder of the serving model, which contains baseline.json. */
  modelArtifacts: string;
  driftMinSamples: number;
}

export interface MonitoringResult {
  invocations: number;
  errors: number;
  latencyMsAvg?: number;
  /** Largest per-feature population stability index; undefined with too few samples. */
  driftScore?: number;
  driftSamples: number;
  driftByFeature?: Record<string, number>;
  spendUsd: number;
}

export interface ApprovalRequestInput {
  projectId: string;
  projectName: string;
  gate: Gate;
  round: number;
  approvers: { name: string; email: string; role: string }[];
  summary: ReviewSummary;
}

export interface NoticeInput {
  projectId: string;
  to: string;
  subject: string;
  text: string;
}

/** Endpoint state as describeEndpoint reports it. The workflow merges it into its EndpointSummary. */
export interface EndpointState {
  name: string;
  status: string;
  configName: string;
  url?: string;
  failureReason?: string;
}

/** The activity functions the lifecycle workflows call. */
export interface LifecycleActivities {
  buildReview(input: { gate: Gate; round: number; spec: ProjectSpec; context: ReviewContext }): Promise<ReviewSummary>;
  requestApprovals(input: ApprovalRequestInput): Promise<void>;
  estimateCost(spec: ProjectSpec): Promise<unknown>;
  startTrainingJob(input: StartTrainingInput): Promise<TrainingJobSummary>;
  checkTrainingJob(input: CheckTrainingInput): Promise<CheckTrainingResult>;
  stopTrainingJob(job: ResourceRef): Promise<TrainingJobSummary>;
  recommend(input: { spec: ProjectSpec; jobs: TrainingJobSummary[] }): Promise<{ recommendation?: Recommendation; reason: string }>;
  deployEndpoint(input: DeployInput): Promise<EndpointSummary>;
  /** Points the endpoint at a new model and config (blue/green). */
  updateEndpoint(input: DeployInput & { endpointName: string }): Promise<EndpointSummary>;
  describeEndpoint(endpoint: ResourceRef): Promise<EndpointState | undefined>;
  deleteEndpoint(endpoint: ResourceRef): Promise<void>;
  deleteEndpointConfig(config: ResourceRef): Promise<void>;
  /**
   * Load-tests one hosting instance type on a temporary endpoint, which it
   * deletes with its config afterwards, also when a step fails. Heartbeats
   * while it waits and sends requests.
   */
  loadTestEndpoint(input: LoadTestEndpointInput): Promise<LoadTestResult>;
  collectMonitoring(input: MonitoringInput): Promise<MonitoringResult>;
  notify(input: NoticeInput): Promise<void>;
  /**
   * Compares the workflow's metered spend with Cost Explorer's figure for
   * the project tag since `since`, and reads the month-end forecast. Never
   * fails for a used call budget or missing permission: the notes record why.
   */
  reconcileCosts(input: { projectId: string; target: ProviderTarget; meteredUsd: number; since: string }): Promise<CostCheck>;
  /** Spend metered so far for the project's tagged resources, in USD. */
  projectSpend(project: string | { projectId: string; target?: ProviderTarget }): Promise<number>;
}
