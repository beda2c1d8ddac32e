/**
 * Errors of the local provider: the ones both providers share, and the
 * model container's error. Their `name` becomes the Temporal failure type
 * when an activity throws them, so the retry policy can tell them apart.
 */
export { InvalidInputError, ResourceInUseError, ResourceNotFoundError } from '../errors';

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
