/**
 * A short closed-loop load test: a fixed number of workers each send one
 * request, wait for its response and send the next, until the request
 * count is reached. It measures the throughput one endpoint sustains at
 * that concurrency and the latency of its responses as the client sees them.
 */

export interface LoadTestOptions {
  /** Sends one request; a rejection counts as an error. */
  invoke: (body: string) => Promise<unknown>;
  /** Request bodies, used in turn: request i sends payloads[i % payloads.length]. */
  payloads: string[];
  /** Requests to send in total, failed ones included. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Monotonic time in milliseconds; `performance.now` by default. */
  clock?: () => number;
  /** Once aborted, no new request starts and the test rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface LoadTestRun {
  requests: number;
  errors: number;
  /** From the first request sent to the last response received. */
  durationSeconds: number;
  /** Successful requests per second over durationSeconds. */
  throughputRps: number;
  /** Latency of the successful requests; percentiles by the nearest-rank method. */
  latencyMs: { p50: number; p95: number; max: number };
  /** Message of the first failed request, when any failed. */
  firstError?: string;
}

/** Every request of a load test failed, so it measured nothing. */
export class LoadTestFailedError extends Error {
  override readonly name = 'LoadTestFailed';
}

/**
 * Runs the load test. Throws RangeError for invalid options and
 * LoadTestFailedError when no request succeeded.
 */
export async function runLoadTest(options: LoadTestOptions): Promise<LoadTestRun> {
  checkOptions(options);
  const { invoke, payloads, requests, signal } = options;
  const clock = options.clock ?? (() => performance.now());

  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;

  const worker = async (): Promise<void> => {
    for (;;) {
      signal?.throwIfAborted();
      const index = next++;
      if (index >= requests) return;
      const sentAt = clock();
      try {
        await invoke(payloads[index % payloads.length]);
        latencies.push(clock() - sentAt);
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };

  const startedAt = clock();
  const workers = Math.min(options.concurrency, requests);
  await Promise.all(Array.from({ length: workers }, worker));
  const durationMs = clock() - startedAt;

  if (latencies.length === 0) {
    throw new LoadTestFailedError(`all ${requests} requests of the load test failed; the first error: ${firstError}`);
  }
  if (!(durationMs > 0)) {
    throw new RangeError(`the clock did not advance during the load test (${durationMs} ms); pass a monotonic clock in milliseconds`);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const durationSeconds = durationMs / 1000;
  return {
    requests,
    errors,
    durationSeconds,
    throughputRps: latencies.length / durationSeconds,
    latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted[sorted.length - 1] },
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/**
 * Returns the nearest-rank percentile of ascending `sorted` values: the
 * smallest value with at least `p` percent of the values at or below it.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('cannot take a percentile of no values');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function checkOptions(options: LoadTestOptions): void {
  if (!Number.isInteger(options.requests) || options.requests < 1) {
    throw new RangeError(`invalid request count ${options.requests}: expected a whole number of at least 1`);
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new RangeError(`invalid concurrency ${options.concurrency}: expected a whole number of at least 1`);
  }
  if (options.payloads.length === 0) {
    throw new RangeError('no payloads: expected at least one request body');
  }
}

/**
 * Parses a JSON-lines payload file: every non-blank line is one request
 * body and must be valid JSON. `source` names the file in errors, which
 * give the line number. Throws when a line is invalid or no line is left.
 */
export function parsePayloadLines(text: string, source: string): string[] {
  const payloads: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      JSON.parse(line);
    } catch {
      throw new Error(`${source} line ${i + 1} is not valid JSON: ${line.slice(0, 60)}; expected one JSON request body per line`);
    }
    payloads.push(line);
  });
  if (payloads.length === 0) throw new Error(`${source} has no request bodies; expected one JSON request body per line`);
  return payloads;
}
