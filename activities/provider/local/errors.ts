/**
 * Errors of the local provider. Their `name` becomes the Temporal failure
 * type when an activity throws them, so the retry policy can tell them apart.
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

/** The model container responded to a request with an error status, as SageMaker's ModelError reports it. */
export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(
    message: string,
    /** HTTP status the endpoint returned. */
    readonly statusCode: number,
  ) {
    super(message);
  }
}
