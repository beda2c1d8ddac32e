/**
 * Models, endpoint configs and endpoints on SageMaker. Each call acts only
 * in the endpoint states that allow it: an update needs InService, a delete
 * waits out Creating and Updating, and a Failed endpoint is never updated.
 */
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  UpdateEndpointCommand,
  type DescribeEndpointOutput,
} from '@aws-sdk/client-sagemaker';
import type { EndpointConfigRequest, EndpointDescription, EndpointStatus, ModelRequest, Tags } from '../types';
import { PRICE_TAG_KEY, toAwsTags, type SageMakerContext } from './context';
import {
  InvalidInputError,
  ResourceInUseError,
  ResourceNotFoundError,
  classifyAwsError,
  isAlreadyExists,
  isNotFound,
} from './errors';
import type { SageMakerSettings } from './settings';
import { joinS3 } from './training';

/** Name of the single production variant; the CloudWatch metrics are read for it. */
export const VARIANT_NAME = 'AllTraffic';

/** SageMaker endpoint statuses that the provider interface has no name for, mapped to the nearest one. */
const STATUS_OF: Record<string, EndpointStatus> = {
  Creating: 'Creating',
  InService: 'InService',
  Updating: 'Updating',
  SystemUpdating: 'Updating',
  RollingBack: 'Updating',
  Deleting: 'Deleting',
  Failed: 'Failed',
  UpdateRollbackFailed: 'Failed',
  OutOfService: 'OutOfService',
};

export class SageMakerEndpoints {
  constructor(private readonly ctx: SageMakerContext) {}

  /** Creates the model unless one of that name exists. */
  async createModel(request: ModelRequest): Promise<void> {
    if (!request.modelArtifacts.startsWith('s3://')) {
      throw new InvalidInputError(
        `model ${request.name} has artifacts at "${request.modelArtifacts}", which is not an S3 URI: ` +
          'the sagemaker provider serves models from S3, so pass the S3ModelArtifacts of a SageMaker training job',
      );
    }
    if (await this.exists(() => this.ctx.sagemaker.send(new DescribeModelCommand({ ModelName: request.name })), `model ${request.name}`)) {
      return;
    }
    const { settings } = this.ctx;
    // NOTE: request.command and request.workingDirectory are not sent: the inference image's own entry point serves.
    await this.createOrAdopt('CreateModel', `model ${request.name}`, () =>
      this.ctx.sagemaker.send(
        new CreateModelCommand({
          ModelName: request.name,
          ExecutionRoleArn: settings.executionRoleArn,
          PrimaryContainer: { Image: settings.inferenceImage, ModelDataUrl: request.modelArtifacts },
          ...(settings.vpc ? { VpcConfig: { Subnets: settings.vpc.subnets, SecurityGroupIds: settings.vpc.securityGroupIds } } : {}),
          Tags: toAwsTags(request.tags),
        }),
      ),
    );
  }

  /** Creates the endpoint config unless one of that name exists; captured requests go under <outputS3Uri>/data-capture. */
  async createEndpointConfig(request: EndpointConfigRequest): Promise<void> {
    this.ctx.prices.set(request.name, request.pricePerHourUsd);
    const resource = `endpoint config ${request.name}`;
    if (await this.exists(() => this.ctx.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: request.name })), resource)) {
      return;
    }
    await this.createOrAdopt(
      'CreateEndpointConfig',
      resource,
      () =>
        this.ctx.sagemaker.send(
          new CreateEndpointConfigCommand({
            EndpointConfigName: request.name,
            ProductionVariants: [
              {
                VariantName: VARIANT_NAME,
                ModelName: request.modelName,
                InitialInstanceCount: request.instanceCount,
                InstanceType: request.instanceType as never,
                InitialVariantWeight: 1,
              },
            ],
            ...(request.captureInputs
              ? {
                  DataCaptureConfig: {
                    EnableCapture: true,
                    InitialSamplingPercentage: 100,
                    DestinationS3Uri: dataCaptureUri(this.ctx.settings),
                    CaptureOptions: [{ CaptureMode: 'Input' }],
                  },
                }
              : {}),
            Tags: toAwsTags({ ...request.tags, [PRICE_TAG_KEY]: String(request.pricePerHourUsd) }),
          }),
        ),
      request.instanceType,
    );
  }

  /** Deletes the endpoint config; a missing one is not an error. Callers delete an old config only after the update away from it finished. */
  async deleteEndpointConfig(name: string): Promise<void> {
    try {
      await this.ctx.sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
      this.ctx.logger.info({ endpointConfig: name }, 'deleted endpoint config');
    } catch (err) {
      if (isNotFound(err)) return;
      throw classifyAwsError(err, { operation: 'DeleteEndpointConfig', resource: `endpoint config ${name}` });
    }
  }

  /** Creates the endpoint, or returns the endpoint of that name when one exists. */
  async createEndpoint(name: string, configName: string, tags: Tags): Promise<EndpointDescription> {
    const existing = await this.describeEndpoint(name);
    if (existing) {
      this.ctx.logger.info({ endpoint: name, status: existing.status, endpointConfig: existing.configName }, 'adopting existing endpoint');
      return existing;
    }
    const instanceType = await this.configInstanceType(configName);
    await this.createOrAdopt(
      'CreateEndpoint',
      `endpoint ${name}`,
      () => this.ctx.sagemaker.send(new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: configName, Tags: toAwsTags(tags) })),
      instanceType,
    );
    return this.requireEndpoint(name);
  }

  /**
   * Starts a blue/green update to `configName`. Returns at once when the
   * endpoint already serves or is updating to that config. Throws
   * ResourceInUseError (retryable) while the endpoint is Creating, Deleting
   * or updating to another config, InvalidInputError for a Failed or
   * OutOfService endpoint, which no retry of the update can fix, and
   * ResourceNotFoundError for a missing endpoint.
   */
  async updateEndpoint(name: string, configName: string): Promise<EndpointDescription> {
    const raw = await this.describeRaw(name);
    if (!raw) throw new ResourceNotFoundError(`endpoint ${name} does not exist, so it cannot be updated to ${configName}: create it first`);
    const current = this.toDescription(raw);
    const pendingConfig = raw.PendingDeploymentSummary?.EndpointConfigName;

    if (current.status === 'Updating' && pendingConfig === configName) return current;
    if (current.status === 'InService' && current.configName === configName) return current;
    if (current.status === 'Failed' || current.status === 'OutOfService') {
      throw new InvalidInputError(
        `endpoint ${name} is ${current.status}${current.failureReason ? ` (${current.failureReason})` : ''}, so it cannot be updated to ${configName}: ` +
          'delete it and create it again',
      );
    }
    if (current.status !== 'InService') {
      throw new ResourceInUseError(`endpoint ${name} is ${current.status}; it can be updated to ${configName} once it is InService`);
    }

    const instanceType = await this.configInstanceType(configName);
    try {
      await this.ctx.sagemaker.send(new UpdateEndpointCommand({ EndpointName: name, EndpointConfigName: configName }));
      this.ctx.logger.info({ endpoint: name, endpointConfig: configName, previousConfig: current.configName }, 'started endpoint update');
    } catch (err) {
      throw classifyAwsError(err, {
        operation: 'UpdateEndpoint',
        resource: `endpoint ${name}`,
        ...(instanceType ? { quota: { kind: 'endpoint', instanceType } } : {}),
      });
    }
    return this.requireEndpoint(name);
  }

  async describeEndpoint(name: string): Promise<EndpointDescription | undefined> {
    const raw = await this.describeRaw(name);
    return raw ? this.toDescription(raw) : undefined;
  }

  /** Deletes the endpoint and keeps its model and config for a redeploy. A missing or Deleting endpoint is left as it is. */
  async deleteEndpoint(name: string): Promise<void> {
    const current = await this.describeEndpoint(name);
    if (!current || current.status === 'Deleting') return;
    if (current.status === 'Creating' || current.status === 'Updating') {
      throw new ResourceInUseError(`endpoint ${name} is ${current.status}; it can be deleted once that finishes`);
    }
    try {
      await this.ctx.sagemaker.send(new DeleteEndpointCommand({ EndpointName: name }));
      this.ctx.logger.info({ endpoint: name }, 'deleted endpoint');
    } catch (err) {
      if (isNotFound(err)) return;
      throw classifyAwsError(err, { operation: 'DeleteEndpoint', resource: `endpoint ${name}` });
    }
  }

  private async describeRaw(name: string): Promise<DescribeEndpointOutput | undefined> {
    try {
      return await this.ctx.sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyAwsError(err, { operation: 'DescribeEndpoint', resource: `endpoint ${name}` });
    }
  }

  private async requireEndpoint(name: string): Promise<EndpointDescription> {
    const description = await this.describeEndpoint(name);
    if (!description) throw new ResourceNotFoundError(`endpoint ${name} was not found right after it was created or updated; retry the call`);
    return description;
  }

  private toDescription(raw: DescribeEndpointOutput): EndpointDescription {
    const status = STATUS_OF[String(raw.EndpointStatus)] ?? 'Failed';
    return {
      name: raw.EndpointName as string,
      status,
      configName: raw.EndpointConfigName as string,
      ...(raw.FailureReason ? { failureReason: raw.FailureReason } : {}),
      url: runtimeUrl(this.ctx.sagemaker.config.region, raw.EndpointName as string, raw.EndpointArn),
    };
  }

  private async configInstanceType(configName: string): Promise<string | undefined> {
    try {
      const config = await this.ctx.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
      return config.ProductionVariants?.[0]?.InstanceType;
    } catch (err) {
      if (isNotFound(err)) {
        throw new InvalidInputError(`endpoint config ${configName} does not exist: create it with createEndpointConfig first`, { cause: err });
      }
      throw classifyAwsError(err, { operation: 'DescribeEndpointConfig', resource: `endpoint config ${configName}` });
    }
  }

  private async exists(describe: () => Promise<unknown>, resource: string): Promise<boolean> {
    try {
      await describe();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw classifyAwsError(err, { operation: 'Describe', resource });
    }
  }

  private async createOrAdopt(operation: string, resource: string, create: () => Promise<unknown>, instanceType?: string): Promise<void> {
    try {
      await create();
      this.ctx.logger.info({ resource }, `${operation} succeeded`);
    } catch (err) {
      if (isAlreadyExists(err)) {
        this.ctx.logger.info({ resource, error: String(err) }, `${operation} found the resource already created; adopting it`);
        return;
      }
      throw classifyAwsError(err, { operation, resource, ...(instanceType ? { quota: { kind: 'endpoint', instanceType } } : {}) });
    }
  }
}

/** Returns the HTTPS URL of the endpoint's InvokeEndpoint call in the endpoint's region. */
function runtimeUrl(region: unknown, name: string, arn: string | undefined): string | undefined {
  // The ARN is arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>; its region is authoritative.
  const arnRegion = arn?.split(':')[3];
  const resolved = arnRegion || (typeof region === 'string' ? region : undefined);
  return resolved ? `https://runtime.sagemaker.${resolved}.amazonaws.com/endpoints/${name}/invocations` : undefined;
}

/** Returns where data capture writes the endpoint's request payloads. */
export function dataCaptureUri(settings: SageMakerSettings): string {
  return joinS3(settings.outputS3Uri, 'data-capture');
}
