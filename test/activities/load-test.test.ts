/**
 * The closed-loop load test: hand-checked percentiles and throughput with a
 * clock the requests advance, and real concurrency against a small HTTP
 * server on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoadTestFailedError, parsePayloadLines, percentile, runLoadTest } from '../../activities/load-test';

/** Returns a clock that only the requests advance: each payload is the number of milliseconds its request takes. */
function steppedClock() {
  let now = 0;
  return {
    clock: () => now,
    invoke: async (body: string) => {
      now += Number(body);
    },
  };
}

describe('runLoadTest', () => {
  test('percentiles and throughput hand-checked', async () => {
    const { clock, invoke } = steppedClock();
    const payloads = Array.from({ length: 20 }, (_, i) => String(i + 1));

    const run = await runLoadTest({ invoke, payloads, requests: 20, concurrency: 1, clock });

    // Latencies 1..20 ms: p50 is the 10th value, p95 the 19th (ceil(0.95 × 20)); 1 + … + 20 = 210 ms in all.
    expect(run.latencyMs).toEqual({ p50: 10, p95: 19, max: 20 });
    expect(run.durationSeconds).toBeCloseTo(0.21, 12);
    // 20 requests ÷ 0.21 s = 95.24 requests/s.
    expect(run.throughputRps).toBeCloseTo(95.238095, 5);
    expect(run.requests).toBe(20);
    expect(run.errors).toBe(0);
    expect(run.firstError).toBeUndefined();
  });

  test('failed requests excluded from latency', async () => {
    const { clock, invoke } = steppedClock();
    const failing = async (body: string) => {
      await invoke(body);
      if (body === '50') throw new Error('model responded with 500');
    };

    // Payloads cycle: 10, 50, 10, 50, 10, 50.
    const run = await runLoadTest({ invoke: failing, payloads: ['10', '50'], requests: 6, concurrency: 1, clock });

    expect(run.errors).toBe(3);
    expect(run.firstError).toBe('model responded with 500');
    expect(run.latencyMs).toEqual({ p50: 10, p95: 10, max: 10 });
    // 3 successes in 180 ms: 16.67 requests/s.
    expect(run.throughputRps).toBeCloseTo(16.666667, 5);
  });

  test('all requests failing rejects', async () => {
    const invoke = async () => {
      throw new Error('connection refused');
    };

    const run = runLoadTest({ invoke, payloads: ['{}'], requests: 3, concurrency: 2 });

    await expect(run).rejects.toThrow(LoadTestFailedError);
    await expect(run).rejects.toThrow('all 3 requests of the load test failed; the first error: connection refused');
  });

  test('aborted signal stops requests', async () => {
    const controller = new AbortController();
    let sent = 0;
    const invoke = async () => {
      sent++;
      if (sent === 2) controller.abort(new Error('activity cancelled'));
    };

    await expect(runLoadTest({ invoke, payloads: ['{}'], requests: 100, concurrency: 1, signal: controller.signal })).rejects.toThrow('activity cancelled');
    expect(sent).toBe(2);
  });

  test('invalid options rejected', async () => {
    const invoke = async () => undefined;
    await expect(runLoadTest({ invoke, payloads: ['{}'], requests: 0, concurrency: 1 })).rejects.toThrow('invalid request count 0');
    await expect(runLoadTest({ invoke, payloads: ['{}'], requests: 5, concurrency: 1.5 })).rejects.toThrow('invalid concurrency 1.5');
    await expect(runLoadTest({ invoke, payloads: [], requests: 5, concurrency: 1 })).rejects.toThrow('no payloads');
  });

  test('nearest-rank percentile', () => {
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(() => percentile([], 50)).toThrow('cannot take a percentile of no values');
  });
});

describe('runLoadTest over HTTP', () => {
  let server: http.Server;
  let url: string;
  let inFlight = 0;
  let maxInFlight = 0;
  let bodies: string[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        bodies.push(body);
        // Holding each response a moment lets the other workers' requests arrive meanwhile.
        setTimeout(() => {
          inFlight--;
          response.writeHead(body === '{"fail":true}' ? 500 : 200, { 'content-type': 'application/json' }).end('{"predictions":[1]}');
        }, 5);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/invocations`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    maxInFlight = 0;
    bodies = [];
  });

  const invoke = async (body: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.text();
    if (!response.ok) throw new Error(`status ${response.status}`);
  };

  test('concurrency bounds requests in flight', async () => {
    const payloads = ['{"a":1}', '{"a":2}', '{"a":3}'];

    const run = await runLoadTest({ invoke, payloads, requests: 24, concurrency: 4 });

    expect(maxInFlight).toBe(4);
    expect(bodies).toHaveLength(24);
    // Each payload is sent 24 ÷ 3 = 8 times.
    expect(bodies.filter((body) => body === '{"a":2}')).toHaveLength(8);
    expect(run.errors).toBe(0);
    expect(run.throughputRps).toBeGreaterThan(0);
    expect(run.latencyMs.p50).toBeLessThanOrEqual(run.latencyMs.p95);
    expect(run.latencyMs.p95).toBeLessThanOrEqual(run.latencyMs.max);
  });

  test('fewer requests than workers', async () => {
    await runLoadTest({ invoke, payloads: ['{}'], requests: 2, concurrency: 8 });

    expect(maxInFlight).toBe(2);
    expect(bodies).toHaveLength(2);
  });

  test('server errors counted', async () => {
    const run = await runLoadTest({ invoke, payloads: ['{}', '{"fail":true}'], requests: 10, concurrency: 2 });

    expect(run.errors).toBe(5);
    expect(run.firstError).toBe('status 500');
  });
});

describe('parsePayloadLines', () => {
  test('blank lines skipped', () => {
    expect(parsePayloadLines('{"a":1}\n\n  {"a":2}  \n', 'payloads.jsonl')).toEqual(['{"a":1}', '{"a":2}']);
  });

  test('invalid line named', () => {
    expect(() => parsePayloadLines('{"a":1}\n{"a":\n', 'payloads.jsonl')).toThrow(
      'payloads.jsonl line 2 is not valid JSON: {"a":; expected one JSON request body per line',
    );
  });

  test('empty file rejected', () => {
    expect(() => parsePayloadLines('\n \n', 'payloads.jsonl')).toThrow('payloads.jsonl has no request bodies');
  });
});
