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
import { resolvePrice, type PriceTable } from '../domain/prices';
import { parseSpec, SpecError, type ProjectSpec } from '../domain/spec';
import type { ProjectStatus } from '../domain/status';
import {
  closeSignal,
  decideUpdate,
  redeployUpdate,
  reviseUpdate,
  statusQuery,
  type DecideInput,
  type DecideResult,
} from '../workflows/messages';
import { DecisionRejectedError, ProjectEndedError, ProjectNotFoundError, type ApprovalBackend } from './approvals/backend';
import { CliError, invalidInput } from './errors';

/** Reads and validates a spec file; exits with code 2 through CliError on any problem. */
export function loadSpec(file: string): { spec: ProjectSpec; specDir: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let reason = code ?? String(err);
    if (code === 'EISDIR') reason = 'it is a folder';
    if (code === 'ENOENT') reason = 'no such file';
    throw invalidInput(`cannot read spec file ${file}: ${reason}; give the path of a project spec YAML file`, { cause: err });
  }
  try {
    return { spec: parseSpec(text, file), specDir: path.resolve(path.dirname(file)) };
  } catch (err) {
    if (err instanceof SpecError) throw invalidInput(err.message, { cause: err });
    throw err;
  }
}

/**
 * Checks what validation of the YAML alone cannot: every price the project
 * will need is known, and the local provider can find its commands. Runs
 * before a project starts, so a gap fails at once with exit code 2 instead
 * of after the stakeholders approved.
 */
export function checkRunnable(spec: ProjectSpec, specDir: string, priceTable?: PriceTable): void {
  const problems: string[] = [];
  const price = (instanceType: string, usage: 'training' | 'hosting', spot: boolean, field: string) => {
    try {
      resolvePrice(spec.prices, spec.region, instanceType, usage, spot, priceTable);
    } catch (err) {
      problems.push(`${field}: ${(err as Error).message}`);
    }
  };
  spec.training.candidates.forEach((c, i) => price(c.instanceType, 'training', c.spot, `training.candidates[${i}].instanceType`));
  if (spec.deployment.instanceType === 'recommended') {
    spec.training.candidates.forEach((c, i) =>
      price(c.instanceType, 'hosting', false, `training.candidates[${i}].instanceType (deployment.instanceType is recommended)`),
    );
  } else {
    price(spec.deployment.instanceType, 'hosting', false, 'deployment.instanceType');
  }
  if (spec.provider === 'local') {
    for (const [field, command] of [['training.command', spec.training.command], ['inference.command', spec.inference.command]] as const) {
      const problem = missingExecutable(command, specDir);
      if (problem) problems.push(`${field}: ${problem}`);
    }
  }
  if (problems.length > 0) {
    throw invalidInput(`project ${spec.id} cannot run:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Returns why the program of `command` cannot be found, or undefined; a shell string is not checked. */
function missingExecutable(command: string | string[], specDir: string): string | undefined {
  if (typeof command === 'string') return undefined;
  const program = command[0];
  if (program.includes('/')) {
    const location = path.resolve(specDir, program);
    return fs.existsSync(location) ? undefined : `${program} not found (looked for ${location}); fix the path, which is relative to the spec's folder`;
  }
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, program)));
  return found ? undefined : `${program} is not on PATH; install it or give its path relative to the spec's folder`;
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
      throw await this.explain(projectId, translateUpdateError(projectId, err));
    }
  }

  /** Sends a revised spec to a project in its requirements or cost review; it goes back to the requirements review. */
  async revise(projectId: string, spec: ProjectSpec, specDir: string, reason?: string): Promise<{ phase: string; round: number }> {
    const handle = this.client.workflow.getHandle(projectWorkflowId(projectId));
    try {
      return await handle.executeUpdate(reviseUpdate, { args: [{ spec, specDir, reason }] });
    } catch (err) {
      throw await this.explain(projectId, translateUpdateError(projectId, err));
    }
  }

  async redeploy(projectId: string): Promise<{ phase: string }> {
    const handle = this.client.workflow.getHandle(projectWorkflowId(projectId));
    try {
      return await handle.executeUpdate(redeployUpdate, { args: [] });
    } catch (err) {
      throw await this.explain(projectId, translateUpdateError(projectId, err));
    }
  }

  async stop(projectId: string, reason: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(projectWorkflowId(projectId)).signal(closeSignal, { reason });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw await this.explain(projectId, new ProjectNotFoundError(projectId, { cause: err }));
      throw err;
    }
  }

  /** Tells a project that never existed from one that has ended, whose status can still be read. */
  private async explain(projectId: string, err: Error): Promise<Error> {
    if (!(err instanceof ProjectNotFoundError) || err instanceof ProjectEndedError) return err;
    try {
      const status = await this.getStatus(projectId);
      return new ProjectEndedError(projectId, status.phase, { cause: err });
    } catch {
      return err;
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
