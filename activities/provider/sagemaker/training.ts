/**
 * Training jobs on SageMaker: CreateTrainingJob from a TrainingJobRequest,
 * DescribeTrainingJob mapped onto TrainingJobDescription, and
 * StopTrainingJob only while a job is InProgress.
 */
import {
  CreateTrainingJobCommand,
  DescribeTrainingJobCommand,
  ListTagsCommand,
  StopTrainingJobCommand,
  type CreateTrainingJobRequest,
  type DescribeTrainingJobResponse,
} from '@aws-sdk/client-sagemaker';
import { TAG_KEYS } from '../../../domain/constants';
import { SAGEMAKER_MAX_RUNTIME_SECONDS } from '../../../domain/cost-cap';
import type { TrainingJobDescription, TrainingJobRequest, TrainingJobStatus } from '../types';
import { PRICE_TAG_KEY, fromAwsTags, toAwsTags, type SageMakerContext } from './context';
import { InvalidInputError, classifyAwsError, isAlreadyExists, isNotFound, type CallContext } from './errors';

/** SecondaryStatus values of a job that SageMaker stopped itself, not because StopTrainingJob was called. */
const SELF_STOPPED = new Set(['MaxRuntimeExceeded', 'MaxWaitTimeExceeded']);
const TERMINAL: ReadonlySet<TrainingJobStatus> = new Set(['Completed', 'Failed', 'Stopped']);


export class SageMakerTrainingJobs {
  /** Jobs whose price and project are already recorded in this process, from their create request or their tags. */
  private readonly known = new Set<string>();

  constructor(private readonly ctx: SageMakerContext) {}

  /**
   * Creates the job, or adopts the job of that name when one exists. The
   * existing job is looked up first because SageMaker keeps training job
   * names unique forever, and a second create is also caught in case two
   * attempts race.
   */
  async create(request: TrainingJobRequest): Promise<TrainingJobDescription> {
    const input = this.toCreateRequest(request);
    this.ctx.prices.set(request.name, request.pricePerHourUsd);
    const projectId = request.tags[TAG_KEYS.project];
    if (projectId) {
      this.ctx.spend.set(request.name, { projectId, costUsd: this.ctx.spend.get(request.name)?.costUsd ?? 0 });
      this.known.add(request.name);
    }

    const existing = await this.describeRaw(request.name, true);
    if (existing) {
      this.ctx.logger.info({ trainingJob: request.name, status: existing.TrainingJobStatus }, 'adopting existing training job');
      return this.toDescription(existing);
    }
    const context = callContext('CreateTrainingJob', request);
    try {
      await this.ctx.sagemaker.send(new CreateTrainingJobCommand(input));
      this.ctx.logger.info({ trainingJob: request.name, spot: request.spot }, 'created training job');
    } catch (err) {
      if (!isAlreadyExists(err)) throw classifyAwsError(err, context);
      this.ctx.logger.info({ trainingJob: request.name, error: String(err) }, 'training job already exists; adopting it');
    }
    return this.describe(request.name);
  }

  async describe(name: string): Promise<TrainingJobDescription> {
    const job = await this.describeRaw(name, false);
    return this.toDescription(job as DescribeTrainingJobResponse);
  }

  /** Calls StopTrainingJob only while the job is InProgress; a job that is Stopping or has ended is returned as it is. */
  async stop(name: string): Promise<TrainingJobDescription> {
    const before = await this.describe(name);
    if (before.status !== 'InProgress') return before;
    try {
      await this.ctx.sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name }));
      this.ctx.logger.info({ trainingJob: name }, 'requested training job stop');
    } catch (err) {
      // The job may have ended between the describe and the stop; SageMaker then rejects the stop.
      const after = await this.describe(name);
      if (after.status !== 'InProgress') {
        this.ctx.logger.info({ trainingJob: name, status: after.status, error: String(err) }, 'training job ended before StopTrainingJob');
        return after;
      }
      throw classifyAwsError(err, { operation: 'StopTrainingJob', resource: `training job ${name}` });
    }
    return this.describe(name);
  }

  private async describeRaw(name: string, allowMissing: boolean): Promise<DescribeTrainingJobResponse | undefined> {
    try {
      return await this.ctx.sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
    } catch (err) {
      if (allowMissing && isNotFound(err)) return undefined;
      throw classifyAwsError(err, { operation: 'DescribeTrainingJob', resource: `training job ${name}` });
    }
  }

  private toCreateRequest(request: TrainingJobRequest): CreateTrainingJobRequest {
    const { settings } = this.ctx;
    const maxRuntime = request.maxRuntimeSeconds;
    if (!Number.isInteger(maxRuntime) || maxRuntime < 1 || maxRuntime > SAGEMAKER_MAX_RUNTIME_SECONDS) {
      throw new InvalidInputError(
        `invalid maxRuntimeSeconds ${maxRuntime} for training job ${request.name}: ` +
          `expected a whole number from 1 to ${SAGEMAKER_MAX_RUNTIME_SECONDS} (28 days, the SageMaker maximum)`,
      );
    }
    if (request.spot && !settings.checkpointS3Uri) {
      throw new InvalidInputError(
        `training job ${request.name} runs on spot but sagemaker.checkpointS3Uri is missing: ` +
          'set it to an s3:// prefix so that an interrupted spot job resumes from its checkpoints',
      );
    }

    // NOTE: request.command and request.workingDirectory are not sent: the training image's own entry point runs.
    return {
      TrainingJobName: request.name,
      AlgorithmSpecification: {
        TrainingImage: settings.trainingImage,
        TrainingInputMode: 'File',
        MetricDefinitions: request.metricDefinitions.map((metric) => ({ Name: metric.name, Regex: metric.regex })),
      },
      RoleArn: settings.executionRoleArn,
      InputDataConfig: toInputChannels(request),
      OutputDataConfig: { S3OutputPath: settings.outputS3Uri },
      ResourceConfig: {
        InstanceType: request.instanceType as never,
        InstanceCount: request.instanceCount,
        VolumeSizeInGB: settings.volumeSizeGb,
      },
      StoppingCondition: request.spot
        ? { MaxRuntimeInSeconds: maxRuntime, MaxWaitTimeInSeconds: spotMaxWaitSeconds(maxRuntime) }
        : { MaxRuntimeInSeconds: maxRuntime },
      ...(request.spot
        ? { EnableManagedSpotTraining: true, CheckpointConfig: { S3Uri: joinS3(settings.checkpointS3Uri as string, request.name) } }
        : {}),
      HyperParameters: { ...request.hyperparameters },
      ...(settings.vpc ? { VpcConfig: { Subnets: settings.vpc.subnets, SecurityGroupIds: settings.vpc.securityGroupIds } } : {}),
      Tags: toAwsTags({ ...request.tags, [PRICE_TAG_KEY]: String(request.pricePerHourUsd) }),
    };
  }

  private async toDescription(job: DescribeTrainingJobResponse): Promise<TrainingJobDescription> {
    const name = job.TrainingJobName as string;
    const status = job.TrainingJobStatus as TrainingJobStatus;
    const instanceCount = job.ResourceConfig?.InstanceCount ?? 1;
    const start = job.TrainingStartTime;
    const end = TERMINAL.has(status) ? (job.TrainingEndTime ?? job.LastModifiedTime) : undefined;

    // BillableTimeInSeconds is per instance (DescribeTrainingJob API reference, @aws-sdk/client-sagemaker 3.1142), so it is scaled by the count.
    let billableSeconds: number;
    if (job.BillableTimeInSeconds !== undefined) {
      billableSeconds = job.BillableTimeInSeconds * instanceCount;
    } else if (start) {
      const until = end ?? this.ctx.clock();
      billableSeconds = Math.max(0, Math.floor((until.getTime() - start.getTime()) / 1000)) * instanceCount;
    } else {
      billableSeconds = 0;
    }

    const tags = await this.tagsIfNeeded(name, job.TrainingJobArn);
    const price = this.ctx.prices.get(name) ?? 0;
    const costUsd = (billableSeconds * price) / 3600;
    const projectId = tags?.[TAG_KEYS.project] ?? this.ctx.spend.get(name)?.projectId;
    if (projectId) this.ctx.spend.set(name, { projectId, costUsd });

    const secondary = job.SecondaryStatus;
    const stopRequested = (status === 'Stopping' || status === 'Stopped') && !(secondary && SELF_STOPPED.has(secondary));
    const outputPath = job.OutputDataConfig?.S3OutputPath;

    return {
      name,
      status,
      ...(secondary ? { secondaryStatus: secondary } : {}),
      ...(job.FailureReason ? { failureReason: job.FailureReason } : {}),
      instanceType: String(job.ResourceConfig?.InstanceType ?? ''),
      instanceCount,
      spot: job.EnableManagedSpotTraining === true,
      ...(start ? { startTime: start.toISOString() } : {}),
      ...(end ? { endTime: end.toISOString() } : {}),
      billableSeconds,
      ...(job.TrainingTimeInSeconds !== undefined ? { trainingSeconds: job.TrainingTimeInSeconds * instanceCount } : {}),
      costUsd,
      // NOTE: SageMaker reports metrics here only once the job ends (FinalMetricDataList); live values are in CloudWatch.
      metrics: Object.fromEntries((job.FinalMetricDataList ?? []).map((metric) => [metric.MetricName as string, metric.Value ?? 0])),
      ...(job.ModelArtifacts?.S3ModelArtifacts ? { modelArtifacts: job.ModelArtifacts.S3ModelArtifacts } : {}),
      // SageMaker writes other outputs to <S3OutputPath>/<job name>/output/output.tar.gz.
      ...(status === 'Completed' && outputPath ? { outputDataPath: `${joinS3(outputPath, name)}/output/output.tar.gz` } : {}),
      stopRequested,
    };
  }

  /** Reads the job's tags when the price or project of the job is not known in this process (after a worker restart). */
  private async tagsIfNeeded(name: string, arn: string | undefined): Promise<Record<string, string> | undefined> {
    if (this.known.has(name) || !arn) return undefined;
    try {
      const result = await this.ctx.sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
      const tags = fromAwsTags(result.Tags);
      const price = Number(tags[PRICE_TAG_KEY]);
      if (!this.ctx.prices.has(name) && Number.isFinite(price)) this.ctx.prices.set(name, price);
      this.known.add(name);
      return tags;
    } catch (err) {
      throw classifyAwsError(err, { operation: 'ListTags', resource: `training job ${name}` });
    }
  }
}

function callContext(operation: string, request: TrainingJobRequest): CallContext {
  return {
    operation,
    resource: `training job ${request.name}`,
    quota: { kind: request.spot ? 'spot-training' : 'training', instanceType: request.instanceType },
  };
}

function toInputChannels(request: TrainingJobRequest): CreateTrainingJobRequest['InputDataConfig'] {
  return Object.entries(request.channels).map(([channel, uri]) => {
    if (!uri.startsWith('s3://')) {
      throw new InvalidInputError(
        `channel "${channel}" of training job ${request.name} is "${uri}", which is not an S3 URI: ` +
          'the sagemaker provider reads training data from S3 only, so upload the data and set the channel to its s3:// URI',
      );
    }
    return {
      ChannelName: channel,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
    };
  });
}

/**
 * MaxWaitTimeInSeconds of a spot job: the run time plus as long again to wait
 * for spot capacity, within SageMaker's 28-day bound. SageMaker requires it to
 * be at least MaxRuntimeInSeconds.
 */
export function spotMaxWaitSeconds(maxRuntimeSeconds: number): number {
  return Math.max(maxRuntimeSeconds, Math.min(2 * maxRuntimeSeconds, SAGEMAKER_MAX_RUNTIME_SECONDS));
}

export function joinS3(prefix: string, key: string): string {
  return `${prefix.replace(/\/+$/, '')}/${key}`;
}
