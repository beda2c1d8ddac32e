/**
 * The project operations every client shares (CLI, approval server, demo):
 * start, inspect, decide, redeploy and stop project workflows.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { projectWorkflowId, SEARCH_ATTRIBUTES, TASK_QUEUE } from '../domain/constants';
import { parseSpec, SpecError, type ProjectSpec } from '../domain/spec';
import type { ProjectStatus } from '../domain/status';
import { closeSignal, decideUpdate, redeployUpdate, statusQuery, type DecideInput, type DecideResult } from '../workflows/messages';
import { DecisionRejectedError, ProjectNotFoundError, type ApprovalBackend } from './approvals/backend';
import { CliError, invalidInput } from './errors';

/** Reads and validates a spec file; exits with code 2 through CliError on any problem. */
export function loadSpec(file: string): { spec: ProjectSpec; specDir: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalidInput(`cannot read spec file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path`, { cause: err });
  }
  try {
    return { spec: parseSpec(text, file), specDir: path.resolve(path.dirname(file)) };
  } catch (err) {
    if (err instanceof SpecError) throw invalidInput(err.message, { cause: err });
    throw err;
  }
}

export interface ProjectListing {
  projectId: string;
  workflowId: string;
  status: string;
  phase?: string;
  owner?: string;
  spendUsd?: number;
  startTime: string;
}

export class ProjectClient implements ApprovalBackend {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string = TASK_QUEUE,
  ) {}

  async start(spec: ProjectSpec, specDir: string): Promise<string> {
    const workflowId = projectWorkflowId(spec.id);
    try {
      await this.client.workflow.start('projectWorkflow', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [{ spec, specDir }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new CliError(
          `project ${spec.id} was already started (workflow ${workflowId}); inspect it with \`mlops project status ${spec.id}\`, or start a new one with --id`,
          undefined,
          { cause: err },
        );
      }
      throw err;
    }
    return workflowId;
  }

  async getStatus(projectId: string): Promise<ProjectStatus> {
    try {
      return await this.client.workflow.getHandle(projectWorkflowId(projectId)).query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ProjectNotFoundError(projectId, { cause: err });
      throw err;
    }
  }

  async decide(projectId: string, input: DecideInput): Promise<DecideResult> {
    const handle = this.client.workflow.getHandle(projectWorkflowId(projectId));
    try {
      return await handle.executeUpdate(decideUpdate, { args: [input] });
    } catch (err) {
      throw translateUpdateError(projectId, err);
    }
  }

  async redeploy(projectId: string): Promise<{ phase: string }> {
    const handle = this.client.workflow.getHandle(projectWorkflowId(projectId));
    try {
      return await handle.executeUpdate(redeployUpdate, { args: [] });
    } catch (err) {
      throw translateUpdateError(projectId, err);
    }
  }

  async stop(projectId: string, reason: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(projectWorkflowId(projectId)).signal(closeSignal, { reason });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ProjectNotFoundError(projectId, { cause: err });
      throw err;
    }
  }

  async list(): Promise<ProjectListing[]> {
    const listings: ProjectListing[] = [];
    for await (const execution of this.client.workflow.list({ query: `WorkflowType = 'projectWorkflow'` })) {
      const attributes = execution.searchAttributes ?? {};
      const first = (name: string) => (attributes[name] as unknown[] | undefined)?.[0];
      listings.push({
        projectId: String(first(SEARCH_ATTRIBUTES.projectId) ?? execution.workflowId),
        workflowId: execution.workflowId,
        status: execution.status.name,
        phase: first(SEARCH_ATTRIBUTES.phase) as string | undefined,
        owner: first(SEARCH_ATTRIBUTES.owner) as string | undefined,
        spendUsd: first(SEARCH_ATTRIBUTES.spendUsd) as number | undefined,
        startTime: execution.startTime.toISOString(),
      });
    }
    return listings;
  }
}

function translateUpdateError(projectId: string, err: unknown): Error {
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as Error | undefined;
    return new DecisionRejectedError(cause?.message ?? err.message, { cause: err });
  }
  if (err instanceof WorkflowNotFoundError) return new ProjectNotFoundError(projectId, { cause: err });
  if (err instanceof Error && /workflow execution already completed/i.test(err.message)) {
    return new ProjectNotFoundError(projectId, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
