/**
 * Errors both compute providers throw. An error's `name` becomes the
 * Temporal failure type when an activity throws it, and the workflows'
 * retry policy lists 'InvalidInput' as non-retryable.
 */

/** A request the provider rejects as given: retrying it cannot succeed. The message names the value and the fix. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInput';
}

/** A training job, model, endpoint config or endpoint of that name does not exist. */
export class ResourceNotFoundError extends Error {
  override readonly name = 'ResourceNotFound';
}

/** The resource exists but its current status does not allow the call; retrying later may succeed. */
export class ResourceInUseError extends Error {
  override readonly name = 'ResourceInUse';
}
