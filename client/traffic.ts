/**
 * Replays a request file (one JSON body per line) against an endpoint's
 * POST /invocations at a fixed rate, as `mlops traffic` and the demo do.
 */
import fs from 'node:fs';
import { invalidInput } from './errors';

export interface TrafficResult {
  sent: number;
  ok: number;
  failed: number;
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
  url: string;
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
  const target = new URL('/invocations', options.url).toString();
  for (let pass = 0; pass < (options.passes ?? 1); pass++) {
    for (const body of options.bodies) {
      if (options.shouldStop?.()) return result;
      const started = Date.now();
      result.sent++;
      try {
        const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        await response.arrayBuffer();
        if (response.ok) result.ok++;
        else result.failed++;
      } catch {
        result.failed++;
      }
      const wait = gapMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return result;
}
