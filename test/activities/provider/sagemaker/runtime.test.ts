/**
 * invokeEndpoint of the SageMaker provider through the real SageMaker
 * Runtime client: responses from moto in server mode, and error responses
 * from a small HTTP server on 127.0.0.1 that replies as the Runtime API does.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAwsClients, createSageMakerProvider, InvalidInputError, ModelInvocationError } from '../../../../activities/provider/sagemaker';
import { allowLocalhostOnly, useMoto, useMotoEnvironment } from '../../../support/moto';
import { SETTINGS, silentLogger } from './fixtures';

const moto = useMoto();

/** Builds the provider with every client aimed at `endpoint`, which must be on 127.0.0.1. */
function providerAt(endpoint: string) {
  useMotoEnvironment(moto.url);
  const clients = createAwsClients({ region: 'us-east-1', endpoint, maxAttempts: 2 });
  for (const client of Object.values(clients)) allowLocalhostOnly(client);
  return createSageMakerProvider({ ...clients, settings: SETTINGS, logger: silentLogger });
}

async function queueMotoResults(results: { Body: string; ContentType: string }[]): Promise<void> {
  const response = await fetch(`${moto.url}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ results }),
  });
  expect(response.status).toBe(201);
}

test('invoke returns moto body', async () => {
  await queueMotoResults([
    { Body: '{"predictions":[18.5]}', ContentType: 'application/json' },
    { Body: '{"predictions":[31.2]}', ContentType: 'application/json' },
  ]);
  const provider = providerAt(moto.url);

  const first = await provider.invokeEndpoint('churn-load-ml-m5-large', '{"instances":[{"x":1}]}', 'application/json');
  const second = await provider.invokeEndpoint('churn-load-ml-m5-large', '{"instances":[{"x":2}]}', 'application/json');
  // moto returns the same result for the same request.
  const repeated = await provider.invokeEndpoint('churn-load-ml-m5-large', '{"instances":[{"x":1}]}', 'application/json');

  expect(first).toBe('{"predictions":[18.5]}');
  expect(second).toBe('{"predictions":[31.2]}');
  expect(repeated).toBe(first);
});

describe('runtime errors', () => {
  let server: http.Server;
  let url: string;
  let requests: { path: string; contentType?: string }[] = [];
  /** Status, error type and JSON body of the next responses. */
  let reply: { status: number; type: string; body: object };

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        requests.push({ path: request.url ?? '', contentType: request.headers['content-type'] });
        response.writeHead(reply.status, { 'content-type': 'application/json', 'x-amzn-errortype': reply.type }).end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests = [];
  });

  test('model error keeps container status', async () => {
    reply = {
      status: 424,
      type: 'ModelError',
      body: {
        Message: 'Received client error (400) from primary with message "missing field Horsepower"',
        OriginalStatusCode: 400,
        OriginalMessage: 'missing field Horsepower',
        LogStreamArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn',
      },
    };

    const invocation = providerAt(url).invokeEndpoint('churn-load-ml-m5-large', '{}', 'application/json');

    await expect(invocation).rejects.toThrow(ModelInvocationError);
    await expect(invocation).rejects.toMatchObject({
      name: 'ModelError',
      statusCode: 400,
      message:
        'the model of endpoint churn-load-ml-m5-large responded with status 400: missing field Horsepower; ' +
        "the container's log is arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn",
    });
    expect(requests[0]).toEqual({ path: '/endpoints/churn-load-ml-m5-large/invocations', contentType: 'application/json' });
  });

  test('unknown endpoint is invalid input', async () => {
    reply = { status: 400, type: 'ValidationError', body: { message: 'Endpoint churn-load-ml-m5-large of account 123456789012 not found.' } };

    const invocation = providerAt(url).invokeEndpoint('churn-load-ml-m5-large', '{}', 'application/json');

    await expect(invocation).rejects.toThrow(InvalidInputError);
    await expect(invocation).rejects.toThrow(
      'InvokeEndpoint of endpoint churn-load-ml-m5-large was rejected by SageMaker: Endpoint churn-load-ml-m5-large of account 123456789012 not found.',
    );
  });

  test('runtime client never retries', async () => {
    reply = { status: 503, type: 'ServiceUnavailable', body: { message: 'try again' } };

    await expect(providerAt(url).invokeEndpoint('churn-load-ml-m5-large', '{}', 'application/json')).rejects.toMatchObject({ name: 'ServiceUnavailable' });
    // The other clients of createAwsClients make 2 attempts here; the runtime client makes one, so a load test counts the failure.
    expect(requests).toHaveLength(1);
  });
});
