/**
 * Deterministic SageMaker resource names. SageMaker training job, model,
 * endpoint config and endpoint names share one rule: at most 63 characters
 * matching ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$. The same inputs always give
 * the same name, which lets a retried activity find the resource an earlier
 * attempt created instead of creating a second one.
 *
 * Workflows import this module, so the hash is plain JavaScript (no Node
 * crypto).
 *
 * NOTE: names depend only on the project id, and SageMaker keeps training
 * job names unique per account and region forever. A new project that
 * reuses the id of an old one therefore gets the old job names, and an
 * idempotent create adopts the old job.
 */

export const MAX_NAME_LENGTH = 63;
export const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Length of the hash suffix added to shortened or sanitized names. */
const HASH_LENGTH = 8;

export type TrainingStep = 'bench' | 'retrain';

/** Long purpose names, as in TrainingJobSummary.purpose, mapped to the short step in names. */
const STEP_OF_PURPOSE: Record<TrainingStep | 'benchmark' | 'retraining', TrainingStep> = {
  bench: 'bench',
  benchmark: 'bench',
  retrain: 'retrain',
  retraining: 'retrain',
};

/**
 * Names a training job: `<project>-bench-<index>` or
 * `<project>-retrain-<index>`, plus `-a<attempt>` for attempts after the
 * first (attempt 1 or none is the first, so a counter from 1 can be passed).
 * `index` is a whole number: the candidate index or the retraining number.
 */
export function trainingJobName(
  projectId: string,
  step: TrainingStep | 'benchmark' | 'retraining',
  index: number,
  attempt?: number,
): string {
  requireCount('index', index, 0);
  const parts: (string | number)[] = [projectId, STEP_OF_PURPOSE[step], index];
  if (attempt !== undefined) {
    requireCount('attempt', attempt, 1);
    if (attempt > 1) parts.push(`a${attempt}`);
  }
  return resourceName(parts);
}

/** Names the model of endpoint revision `revision` (1 for the first deployment): `<project>-model-<revision>`. */
export function modelName(projectId: string, revision: number): string {
  requireCount('revision', revision, 1);
  return resourceName([projectId, 'model', revision]);
}

/** Names the endpoint config of endpoint revision `revision`: `<project>-config-<revision>`. */
export function endpointConfigName(projectId: string, revision: number): string {
  requireCount('revision', revision, 1);
  return resourceName([projectId, 'config', revision]);
}

/** Names the project's endpoint: `<project>-endpoint`. It stays the same across revisions (blue/green updates). */
export function endpointName(projectId: string): string {
  return resourceName([projectId, 'endpoint']);
}

/** SageMaker instance types, such as ml.m5.large. */
const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;

/**
 * Names the temporary endpoint that load-tests one hosting instance type:
 * `<project>-load-<type with dots as hyphens>`, such as
 * `churn-load-ml-m5-large`. Its model and endpoint config carry the same
 * name, which SageMaker allows because each resource kind has its own names.
 * Throws RangeError for a value that is not an instance type.
 */
export function loadTestEndpointName(projectId: string, instanceType: string): string {
  if (!INSTANCE_TYPE_PATTERN.test(instanceType)) {
    throw new RangeError(`invalid instance type ${JSON.stringify(instanceType)}: expected a SageMaker instance type such as ml.m5.large`);
  }
  return resourceName([projectId, 'load', instanceType.replace(/\./g, '-')]);
}

/**
 * Joins parts with hyphens into a valid name. Characters outside
 * [a-zA-Z0-9-] become hyphens and hyphens at either end are dropped. When
 * that changed the text or the result is longer than 63 characters, the name
 * is cut to fit and ends with `-` and an 8-character hash of the original
 * parts, so distinct inputs keep distinct names. Throws when no letter or
 * digit is left.
 */
export function resourceName(parts: readonly (string | number)[]): string {
  const raw = parts.map(String);
  const joined = raw.map(sanitize).filter((part) => part.length > 0).join('-');
  if (joined.length === 0) {
    throw new Error(`cannot build a SageMaker name from ${JSON.stringify(raw)}: expected at least one letter or digit`);
  }
  if (joined.length <= MAX_NAME_LENGTH && joined === raw.join('-')) return joined;

  const hash = fnv1a32(raw.join('\u0000')).toString(16).padStart(HASH_LENGTH, '0');
  const prefix = joined.slice(0, MAX_NAME_LENGTH - HASH_LENGTH - 1).replace(/-+$/, '');
  return prefix.length > 0 ? `${prefix}-${hash}` : hash;
}

/** Returns whether `name` is a valid SageMaker training job, model, endpoint config or endpoint name. */
export function isValidResourceName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name);
}

function sanitize(part: string): string {
  return part.replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+|-+$/g, '');
}

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function requireCount(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new RangeError(`invalid ${name} ${value}: expected a whole number of at least ${minimum}`);
  }
}
