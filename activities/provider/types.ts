/**
 * The compute provider interface. It mirrors SageMaker's resource model
 * (training job, model, endpoint config, endpoint) and its status names, so
 * the local provider and the SageMaker provider are interchangeable behind
 * the activities.
 *
 * Every create call is idempotent by name: creating a resource that already
 * exists with the same name returns the existing one, so a retried activity
 * adopts what an earlier attempt started instead of starting a second.
 */

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';
export type EndpointStatus = 'Creating' | 'InService' | 'Updating' | 'Deleting' | 'Failed' | 'OutOfService';

/** Resource tags, such as the project's cost-allocation tag. */
export type Tags = Record<string, string>;

export interface TrainingJobRequest {
  name: string;
  /** Command line of the training container, run with SageMaker's environment conventions. */
  command: string[];
  /** Working directory for the command; relative channel paths resolve against it. */
  workingDirectory: string;
  /** Channel name to local path or S3 URI. */
  channels: Record<string, string>;
  hyperparameters: Record<string, string>;
  metricDefinitions: { name: string; regex: string }[];
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  /** Backstop cap on run time (SageMaker's StoppingCondition.MaxRuntimeInSeconds). */
  maxRuntimeSeconds: number;
  /** On-demand or spot price per instance-hour the job is billed at. */
  pricePerHourUsd: number;
  tags: Tags;
}

export interface TrainingJobDescription {
  name: string;
  status: TrainingJobStatus;
  /** Free-text detail, such as SageMaker's SecondaryStatus. */
  secondaryStatus?: string;
  failureReason?: string;
  instanceType: string;
  instanceCount: number;
  spot: boolean;
  /** ISO-8601 times; `endTime` is set once the job reached a terminal status. */
  startTime?: string;
  endTime?: string;
  /** Seconds billed so far (all instances), including time spent stopping. */
  billableSeconds: number;
  /**
   * Seconds the job trained (all instances), when the provider reports it
   * (SageMaker's TrainingTimeInSeconds). Managed spot training bills less
   * than this, and the gap is the spot saving.
   */
  trainingSeconds?: number;
  /** Cost so far at the job's price. */
  costUsd: number;
  /** Latest value of each metric parsed from the job's log. */
  metrics: Record<string, number>;
  /** Peak CPU use (percent of one core per instance) and memory (MiB) sampled while running. */
  resourceUsage?: { cpuPercentMax: number; cpuPercentAvg: number; memoryMiBMax: number };
  /** Where the model artifacts are (SageMaker's ModelArtifacts.S3ModelArtifacts). */
  modelArtifacts?: string;
  /** Where the job wrote other outputs, such as the baseline statistics. */
  outputDataPath?: string;
  /** True when the job ended because StopTrainingJob was called. */
  stopRequested: boolean;
}

export interface ModelRequest {
  name: string;
  /** Command line of the inference container. */
  command: string[];
  workingDirectory: string;
  modelArtifacts: string;
  tags: Tags;
}

export interface EndpointConfigRequest {
  name: string;
  modelName: string;
  instanceType: string;
  instanceCount: number;
  pricePerHourUsd: number;
  /** Capture request payloads for drift (SageMaker's DataCaptureConfig). */
  captureInputs: boolean;
  tags: Tags;
}

export interface EndpointDescription {
  name: string;
  status: EndpointStatus;
  configName: string;
  failureReason?: string;
  /** Base URL serving `POST /invocations` (local provider) or the runtime URL. */
  url?: string;
}

/** Invocation metrics of an endpoint over a time window, as CloudWatch reports them. */
export interface EndpointMetrics {
  invocations: number;
  errors: number;
  /** Mean model latency in milliseconds, undefined when there was no request. */
  latencyMsAvg?: number;
  latencyMsMax?: number;
}

/** One captured request payload. */
export interface CapturedRequest {
  at: string;
  body: string;
}

export interface ComputeProvider {
  readonly name: string;

  createTrainingJob(request: TrainingJobRequest): Promise<TrainingJobDescription>;
  describeTrainingJob(name: string): Promise<TrainingJobDescription>;
  /** Asks the job to stop: SIGTERM, a grace period, then a kill. Safe to call in any status. */
  stopTrainingJob(name: string): Promise<TrainingJobDescription>;

  createModel(request: ModelRequest): Promise<void>;
  createEndpointConfig(request: EndpointConfigRequest): Promise<void>;
  deleteEndpointConfig(name: string): Promise<void>;
  createEndpoint(name: string, configName: string, tags: Tags): Promise<EndpointDescription>;
  /** Blue/green replacement: serves from the new config once it is InService. */
  updateEndpoint(name: string, configName: string): Promise<EndpointDescription>;
  /** Returns undefined when the endpoint does not exist. */
  describeEndpoint(name: string): Promise<EndpointDescription | undefined>;
  deleteEndpoint(name: string): Promise<void>;

  /** Metrics over [start, end), ISO-8601 times. No requests means zero invocations. */
  getEndpointMetrics(name: string, start: string, end: string): Promise<EndpointMetrics>;
  /** Captured request payloads over [start, end), newest last, at most `limit`. */
  getCapturedRequests(name: string, start: string, end: string, limit: number): Promise<CapturedRequest[]>;

  /**
   * Sends one request to the endpoint (POST /invocations, SageMaker's
   * InvokeEndpoint) and returns the response body as text. Throws when the
   * endpoint is not serving or the model responds with an error status.
   */
  invokeEndpoint(name: string, body: string, contentType: string): Promise<string>;

  /**
   * Reads one file the training job wrote into its model directory
   * (SM_MODEL_DIR), such as baseline.json. Throws an error named
   * InvalidInput when the model has no such file.
   */
  readModelFile(modelArtifacts: string, fileName: string): Promise<string>;

  /** Spend recorded for resources tagged with this project, in USD. */
  getProjectSpend(projectId: string): Promise<{ totalUsd: number; byResource: Record<string, number> }>;
}
