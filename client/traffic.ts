/**
 * Replays a request file (one JSON body per line) against an endpoint at a
 * fixed rate, as `mlops traffic` and the demo do: POST /invocations of a
 * local endpoint, or InvokeEndpoint of a SageMaker one.
 */
import fs from 'node:fs';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { runtimeClientConfig } from '../activities/provider/sagemaker/clients';
import { invalidInput } from './errors';

export interface TrafficResult {
  sent: number;
  ok: number;
  failed: number;
  /** Error message of the first failed request, printed with the counts. */
  firstError?: string;
}

/** Reads the non-empty lines of a request file; each must be valid JSON. */
export function readRequestFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw invalidInput(`cannot read request file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; check the path`, { cause: err });
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  lines.forEach((line, i) => {
    try {
      JSON.parse(line);
    } catch {
      throw invalidInput(`${file} line ${i + 1} is not valid JSON: ${line.slice(0, 60)}; expected one JSON request body per line`);
    }
  });
  if (lines.length === 0) throw invalidInput(`${file} has no requests; expected one JSON request body per line`);
  return lines;
}

export interface ReplayOptions {
  /** Base URL of a local endpoint, which serves POST /invocations; ignored when `invoke` is given. */
  url?: string;
  /** Sends one request body, such as InvokeEndpoint on SageMaker; throws when the request failed. */
  invoke?: (body: string) => Promise<void>;
  bodies: string[];
  /** Requests per second. */
  rate: number;
  /** Stops early when this returns true; checked before each request. */
  shouldStop?: () => boolean;
  /** Number of passes over the file; 1 by default. */
  passes?: number;
}

export async function replay(options: ReplayOptions): Promise<TrafficResult> {
  if (!(options.rate > 0)) throw invalidInput(`invalid --rate ${options.rate}: expected a positive number of requests per second`);
  const result: TrafficResult = { sent: 0, ok: 0, failed: 0 };
  const gapMs = 1000 / options.rate;
  const invoke =
    options.invoke ??
    (async (body: string) => {
      const target = new URL('/invocations', options.url).toString();
      const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status} from ${target}: ${text.slice(0, 200)}`);
    });
  for (let pass = 0; pass < (options.passes ?? 1); pass++) {
    for (const body of options.bodies) {
      if (options.shouldStop?.()) return result;
      const started = Date.now();
      result.sent++;
      try {
        await invoke(body);
        result.ok++;
      } catch (err) {
        result.failed++;
        result.firstError ??= (err as Error).message;
      }
      const wait = gapMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return result;
}

/** Returns whether `url` points at this machine, where the local provider's endpoints listen. */
export function isLocalUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/** Sends request bodies to a SageMaker endpoint with InvokeEndpoint, through the SDK's standard credential chain. */
export function sageMakerInvoker(endpointName: string): (body: string) => Promise<void> {
  const client = new SageMakerRuntimeClient(runtimeClientConfig());
  return async (body) => {
    await client.send(new InvokeEndpointCommand({ EndpointName: endpointName, Body: body, ContentType: 'application/json' }));
  };
}
