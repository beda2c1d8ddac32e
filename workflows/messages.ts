/**
 * Message definitions of the project workflow: the wire names that clients
 * (CLI, approval server) and the workflow share.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Gate } from '../domain/constants';
import type { ProjectSpec } from '../domain/spec';
import type { Decision, ProjectStatus, TrainingJobSummary } from '../domain/status';

export interface DecideInput {
  gate: Gate;
  /** Review round the decision is for; a decision for an older round is rejected. */
  round?: number;
  email: string;
  decision: Decision;
  comment?: string;
  /** Channel the decision came through, such as 'e-mail link' or 'cli'. */
  channel: string;
}

export interface DecideResult {
  gate: Gate;
  email: string;
  decision: Decision;
  at: string;
  /** Phase after the decision was applied. */
  phase: string;
}

/** Records one stakeholder's decision; the validator rejects decisions the gate cannot take. */
export const decideUpdate = defineUpdate<DecideResult, [DecideInput]>('decide');

export interface ReviseInput {
  spec: ProjectSpec;
  /** Absolute folder of the new spec file. */
  specDir: string;
  /** Author and reason of the revision, shown in the next review. Defaults to the open change request's comment. */
  reason?: string;
}

/**
 * Replaces the spec of a project waiting in the requirements or cost review,
 * such as after a stakeholder requested changes. The project goes back to
 * the requirements review with a new round whose e-mails show the cost diff.
 */
export const reviseUpdate = defineUpdate<{ phase: string; round: number }, [ReviseInput]>('revise');

/** Brings a shut-down endpoint back into service. */
export const redeployUpdate = defineUpdate<{ phase: string }, []>('redeploy');

/** Stops the project: deletes the endpoint and ends the workflow as closed. */
export const closeSignal = defineSignal<[{ reason: string }]>('close');

/** Sent by benchmark and retraining child workflows to their project whenever a training job changes. */
export const trainingJobSignal = defineSignal<[TrainingJobSummary]>('trainingJob');

export const statusQuery = defineQuery<ProjectStatus>('status');
