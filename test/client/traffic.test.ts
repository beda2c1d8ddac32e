/**
 * `mlops traffic` sends a SageMaker endpoint's requests through the SDK's
 * InvokeEndpoint, which follows AWS_ENDPOINT_URL (moto here), never as
 * plain HTTP to the runtime URL, and reports why requests failed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLocalUrl, replay, sageMakerInvoker } from '../../client/traffic';
import { useMoto, useMotoEnvironment } from '../support/moto';

const moto = useMoto();

test('runtime URL is not local', () => {
  expect(isLocalUrl('http://127.0.0.1:8080')).toBe(true);
  expect(isLocalUrl('http://localhost:8080')).toBe(true);
  expect(isLocalUrl('https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/churn-endpoint/invocations')).toBe(false);
});

test('sagemaker replay goes through the SDK', async () => {
  useMotoEnvironment(moto.url);

  const result = await replay({ invoke: sageMakerInvoker('churn-endpoint'), bodies: ['{"a":1}', '{"a":2}'], rate: 100 });

  expect(result).toEqual({ sent: 2, ok: 2, failed: 0 });
});

test('failed replay names the first error', async () => {
  const server = http.createServer((_request, response) => {
    response.writeHead(500).end('model crashed');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const result = await replay({ url, bodies: ['{}', '{}'], rate: 100 });

    expect(result.failed).toBe(2);
    expect(result.firstError).toMatch(/HTTP 500 .*model crashed/);
  } finally {
    server.close();
  }
});
