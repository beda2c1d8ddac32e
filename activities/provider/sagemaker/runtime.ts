/**
 * InvokeEndpoint through the SageMaker Runtime API, which the load test
 * uses to measure an endpoint's throughput and latency.
 */
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { InvalidInputError, awsErrorMessage, awsErrorName } from './errors';

/** Shape of the SDK's ModelError: the inference container responded with a 4xx or 5xx status. */
interface ModelErrorShape {
  OriginalStatusCode?: number;
  OriginalMessage?: string;
  LogStreamArn?: string;
}

/** The model container of an endpoint responded to a request with an error status. */
export class ModelInvocationError extends Error {
  override readonly name = 'ModelError';

  constructor(
    message: string,
    /** HTTP status the container returned, when SageMaker reports it. */
    readonly statusCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Sends `body` to endpoint `name` and returns the response body as UTF-8
 * text. A ValidationError (such as an unknown endpoint) becomes
 * InvalidInputError and a ModelError becomes ModelInvocationError with the
 * container's status. Other errors, throttling and 5xx included, are
 * returned as the SDK raised them.
 */
export async function invokeEndpoint(client: SageMakerRuntimeClient, name: string, body: string, contentType: string): Promise<string> {
  try {
    const output = await client.send(new InvokeEndpointCommand({ EndpointName: name, Body: new TextEncoder().encode(body), ContentType: contentType }));
    return output.Body ? output.Body.transformToString('utf-8') : '';
  } catch (err) {
    throw classifyInvokeError(err, name);
  }
}

function classifyInvokeError(err: unknown, name: string): Error {
  const errorName = awsErrorName(err);
  const message = awsErrorMessage(err);
  if (errorName === 'ValidationError') {
    return new InvalidInputError(`InvokeEndpoint of endpoint ${name} was rejected by SageMaker: ${message}`, { cause: err });
  }
  if (errorName === 'ModelError') {
    const detail = err as ModelErrorShape;
    const status = detail.OriginalStatusCode;
    const logs = detail.LogStreamArn ? `; the container's log is ${detail.LogStreamArn}` : '';
    return new ModelInvocationError(
      `the model of endpoint ${name} responded with status ${status ?? 'unknown'}: ${detail.OriginalMessage ?? message}${logs}`,
      status,
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(`InvokeEndpoint of endpoint ${name} failed: ${message}`, { cause: err });
}
