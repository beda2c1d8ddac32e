/**
 * Activities of the sweeper workflow: list the SageMaker training jobs and
 * endpoints with their mlops tags, read the state of each project's
 * workflow, stop or delete one resource, and mail the report. Stopping and
 * deleting are idempotent: a resource that is already gone, stopping or
 * being deleted counts as done.
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeTrainingJobCommand,
  paginateListEndpoints,
  paginateListTags,
  paginateListTrainingJobs,
  StopTrainingJobCommand,
  type SageMakerClient,
  type Tag,
  type TrainingJobStatus,
} from '@aws-sdk/client-sagemaker';
import { projectWorkflowId, TAG_KEYS } from '../domain/constants';
import { formatSweepReport, sweepReportSubject, type ProjectWorkflowState, type SweepAction, type SweepReport, type SweepResource } from '../domain/sweep';
import type { Mailer } from './mail';
import { classifyAwsError, InvalidInputError, isNotFound, ResourceInUseError } from './provider/sagemaker/errors';

export interface SweeperLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SweeperDependencies {
  sagemaker: SageMakerClient;
  /** Reads the state of a project's workflow. The worker passes `temporalProjectState(client)`. */
  projectState: (projectId: string) => Promise<ProjectWorkflowState>;
  mailer: Mailer;
  logger: SweeperLogger;
}

export interface SweepActionInput {
  action: SweepAction;
  name: string;
}

export interface SweepActionResult {
  outcome: 'stopped' | 'deleted' | 'already-done';
  /** Finding that made the action unnecessary, when the outcome is `already-done`. */
  detail?: string;
}

export interface SweeperActivities {
  /** Lists the training jobs that bill (InProgress or Stopping) and every endpoint, with their mlops tags. */
  listTaggedResources(): Promise<SweepResource[]>;
  /** Reads the workflow state of each project, by project id. */
  readProjectStates(projectIds: string[]): Promise<Record<string, ProjectWorkflowState>>;
  applySweepAction(input: SweepActionInput): Promise<SweepActionResult>;
  sendSweepReport(input: { to: string[]; report: SweepReport }): Promise<void>;
}

/** Training job statuses that bill. Jobs in other statuses are not listed. */
const BILLING_JOB_STATUSES: TrainingJobStatus[] = ['InProgress', 'Stopping'];

/** Page size of the List calls: the maximum of ListTrainingJobs and ListEndpoints, and above the minimum of 50 that ListTags sets. */
const PAGE_SIZE = 100;

/** Workflow statuses of an ended run. Any other status (RUNNING, PAUSED, a CONTINUED_AS_NEW run whose successor runs) counts as running. */
const CLOSED_STATUSES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT']);

/** Records progress when called inside an activity, so that a long listing is not timed out. Does nothing elsewhere. */
function heartbeat(details: unknown): void {
  asyncLocalStorage.getStore()?.heartbeat(details);
}

export function createSweeperActivities(deps: SweeperDependencies): SweeperActivities {
  const { sagemaker, logger } = deps;

  async function listTrainingJobs(): Promise<SweepResource[]> {
    const jobs: SweepResource[] = [];
    for (const status of BILLING_JOB_STATUSES) {
      try {
        for await (const page of paginateListTrainingJobs({ client: sagemaker, pageSize: PAGE_SIZE }, { StatusEquals: status })) {
          for (const summary of page.TrainingJobSummaries ?? []) {
            jobs.push({
              kind: 'training-job',
              name: summary.TrainingJobName ?? '',
              arn: summary.TrainingJobArn ?? '',
              status: summary.TrainingJobStatus ?? status,
              createdAt: isoTime(summary.CreationTime),
            });
          }
          heartbeat({ listed: jobs.length });
        }
      } catch (err) {
        throw classifyAwsError(err, { operation: 'ListTrainingJobs', resource: `training jobs in status ${status}` });
      }
    }
    return jobs;
  }

  async function listEndpoints(): Promise<SweepResource[]> {
    const endpoints: SweepResource[] = [];
    try {
      for await (const page of paginateListEndpoints({ client: sagemaker, pageSize: PAGE_SIZE }, {})) {
        for (const summary of page.Endpoints ?? []) {
          endpoints.push({
            kind: 'endpoint',
            name: summary.EndpointName ?? '',
            arn: summary.EndpointArn ?? '',
            status: summary.EndpointStatus ?? 'Unknown',
            createdAt: isoTime(summary.CreationTime),
          });
        }
        heartbeat({ listed: endpoints.length });
      }
    } catch (err) {
      throw classifyAwsError(err, { operation: 'ListEndpoints', resource: 'endpoints' });
    }
    return endpoints;
  }

  /** Returns the resource's tags, or undefined when it was deleted after it was listed. */
  async function readTags(resource: SweepResource): Promise<Tag[] | undefined> {
    const tags: Tag[] = [];
    try {
      for await (const page of paginateListTags({ client: sagemaker, pageSize: PAGE_SIZE }, { ResourceArn: resource.arn })) {
        tags.push(...(page.Tags ?? []));
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw classifyAwsError(err, { operation: 'ListTags', resource: `${resource.kind} ${resource.name}` });
    }
    return tags;
  }

  async function stopTrainingJob(name: string): Promise<SweepActionResult> {
    const ended = await trainingJobEnded(name);
    if (ended) return { outcome: 'already-done', detail: ended };
    try {
      await sagemaker.send(new StopTrainingJobCommand({ TrainingJobName: name }));
    } catch (err) {
      // The job may have ended between the describe and the stop, which SageMaker rejects as a validation error.
      const endedMeanwhile = await trainingJobEnded(name);
      if (endedMeanwhile) return { outcome: 'already-done', detail: endedMeanwhile };
      throw classifyAwsError(err, { operation: 'StopTrainingJob', resource: `training job ${name}` });
    }
    logger.info({ trainingJob: name }, 'sweeper stopped training job');
    return { outcome: 'stopped' };
  }

  /** Returns the reason the job needs no stop (missing, stopping or ended), or undefined while it is InProgress. */
  async function trainingJobEnded(name: string): Promise<string | undefined> {
    try {
      const job = await sagemaker.send(new DescribeTrainingJobCommand({ TrainingJobName: name }));
      return job.TrainingJobStatus === 'InProgress' ? undefined : `the training job is ${job.TrainingJobStatus}`;
    } catch (err) {
      if (isNotFound(err)) return 'the training job no longer exists';
      throw classifyAwsError(err, { operation: 'DescribeTrainingJob', resource: `training job ${name}` });
    }
  }

  async function deleteEndpoint(name: string): Promise<SweepActionResult> {
    let status: string | undefined;
    try {
      status = (await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }))).EndpointStatus;
    } catch (err) {
      if (isNotFound(err)) return { outcome: 'already-done', detail: 'the endpoint no longer exists' };
      throw classifyAwsError(err, { operation: 'DescribeEndpoint', resource: `endpoint ${name}` });
    }
    if (status === 'Deleting') return { outcome: 'already-done', detail: 'the endpoint is already being deleted' };
    if (status === 'Creating' || status === 'Updating' || status === 'SystemUpdating' || status === 'RollingBack') {
      throw new ResourceInUseError(`endpoint ${name} is ${status} and cannot be deleted until that finishes; retry later`);
    }
    try {
      await sagemaker.send(new DeleteEndpointCommand({ EndpointName: name }));
    } catch (err) {
      if (isNotFound(err)) return { outcome: 'already-done', detail: 'the endpoint no longer exists' };
      throw classifyAwsError(err, { operation: 'DeleteEndpoint', resource: `endpoint ${name}` });
    }
    logger.info({ endpoint: name }, 'sweeper deleted endpoint');
    return { outcome: 'deleted' };
  }

  return {
    async listTaggedResources() {
      const listed = [...(await listTrainingJobs()), ...(await listEndpoints())];
      const resources: SweepResource[] = [];
      // ListTags runs one resource at a time, because SageMaker throttles bursts of it and a sweep has no hurry.
      for (const [index, resource] of listed.entries()) {
        const tags = await readTags(resource);
        heartbeat({ tagged: index + 1, of: listed.length });
        if (!tags) continue;
        const projectId = tagValue(tags, TAG_KEYS.project);
        const managedBy = tagValue(tags, TAG_KEYS.managedBy);
        resources.push({ ...resource, ...(projectId ? { projectId } : {}), ...(managedBy ? { managedBy } : {}) });
      }
      const trainingJobs = resources.filter((resource) => resource.kind === 'training-job').length;
      logger.info({ trainingJobs, endpoints: resources.length - trainingJobs }, 'sweeper listed resources');
      return resources;
    },

    async readProjectStates(projectIds) {
      const states: Record<string, ProjectWorkflowState> = {};
      for (const projectId of projectIds) {
        states[projectId] = await deps.projectState(projectId);
        heartbeat({ read: Object.keys(states).length, of: projectIds.length });
      }
      return states;
    },

    async applySweepAction(input) {
      switch (input.action) {
        case 'stop-training-job':
          return stopTrainingJob(input.name);
        case 'delete-endpoint':
          return deleteEndpoint(input.name);
        default:
          throw new InvalidInputError(`unknown sweep action '${String((input as { action: unknown }).action)}': expected stop-training-job or delete-endpoint`);
      }
    },

    async sendSweepReport({ to, report }) {
      if (to.length === 0) return;
      const sent = await deps.mailer.sendNotice({ to: to.join(', '), subject: sweepReportSubject(report), text: formatSweepReport(report) });
      logger.info({ to, messageId: sent.messageId, actions: report.actions.length, dryRun: report.dryRun }, 'sweeper report sent');
    },
  };
}

/**
 * Returns a `projectState` function that describes the project's workflow
 * (id from `projectWorkflowId`) in the client's namespace. A workflow that
 * does not exist is `missing`, and a closed run is `closed`. Other errors,
 * including an unknown namespace, are thrown, so that a misconfigured
 * client never makes every project look missing.
 *
 * NOTE: the tags name the project but not the Temporal namespace that runs
 * it. Two installations that share an AWS account and region but use
 * different namespaces see each other's projects as missing, and their
 * sweepers delete each other's endpoints. Such installations must share
 * one namespace, or run no sweeper.
 */
export function temporalProjectState(client: Client): (projectId: string) => Promise<ProjectWorkflowState> {
  return async (projectId) => {
    try {
      const description = await client.workflow.getHandle(projectWorkflowId(projectId)).describe();
      const status = description.status.name;
      if (!CLOSED_STATUSES.has(status)) return { state: 'running' };
      return { state: 'closed', workflowStatus: status, ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}) };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { state: 'missing' };
      throw err;
    }
  };
}

function tagValue(tags: Tag[], key: string): string | undefined {
  return tags.find((tag) => tag.Key === key)?.Value || undefined;
}

function isoTime(value: Date | undefined): string {
  return value ? value.toISOString() : '';
}
