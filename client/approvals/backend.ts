/**
 * What the approval web server needs from Temporal, as a narrow interface so
 * the server can be tested against a real workflow or a small fake.
 */
import type { DecideInput, DecideResult } from '../../workflows/messages';
import type { ProjectStatus } from '../../domain/status';

/** Raised when the workflow's update validator rejects a decision. `message` contains the reason. */
export class DecisionRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecisionRejectedError';
  }
}

/** Raised when the project's workflow does not exist or has ended. */
export class ProjectNotFoundError extends Error {
  constructor(readonly projectId: string, options?: { cause?: unknown }) {
    super(`project ${projectId} not found: \`mlops project list\` shows the projects of this Temporal namespace`, options);
    this.name = 'ProjectNotFoundError';
  }
}

export interface ApprovalBackend {
  getStatus(projectId: string): Promise<ProjectStatus>;
  /** Sends the decision as a Temporal Update; throws DecisionRejectedError or ProjectNotFoundError. */
  decide(projectId: string, input: DecideInput): Promise<DecideResult>;
}

/** Raised when the project's workflow has ended; `phase` is its last phase (rejected, failed or closed). */
export class ProjectEndedError extends ProjectNotFoundError {
  constructor(
    projectId: string,
    readonly phase: string,
    options?: { cause?: unknown },
  ) {
    super(projectId, options);
    this.name = 'ProjectEndedError';
    this.message = `project ${projectId} has ended (phase ${phase}) and takes no more decisions or changes`;
  }
}
