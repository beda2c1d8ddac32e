/**
 * Types of runtime.js, the CommonJS helpers that the provider shares with
 * its detached processes. Keep this file in step with runtime.js.
 */

export const MARKER_ENV: string;

export function writeJsonAtomic(file: string, value: unknown): void;
export function writeJsonExclusive(file: string, value: unknown): boolean;
export function readJson<T = unknown>(file: string): T | undefined;
export function appendJsonLine(file: string, value: unknown): void;
export function readJsonLines<T = unknown>(file: string): T[];

export interface LedgerEntry {
  resource: string;
  kind: 'training' | 'hosting';
  tags: Record<string, string>;
  /** ISO-8601 bounds of the billed wall-clock interval. */
  start: string;
  end: string;
  /** Instance-seconds: wall-clock seconds times the instance count. */
  seconds: number;
  usd: number;
  instanceType: string;
  instanceCount: number;
  [extra: string]: unknown;
}

export function ledgerFile(stateDir: string): string;
export function appendLedger(stateDir: string, entry: LedgerEntry): void;
export function billedInterval(input: {
  resource: string;
  kind: 'training' | 'hosting';
  tags: Record<string, string>;
  start: Date;
  end: Date;
  instanceType: string;
  instanceCount: number;
  pricePerHourUsd: number;
  extra?: Record<string, unknown>;
}): LedgerEntry;

export function claimLock(dir: string, prefix: string, n: number): boolean;
export function recordLock(dir: string, prefix: string, n: number, content: Record<string, unknown>): void;
export function latestLock(dir: string, prefix: string): { n: number; content: { pid?: number; finished?: boolean }; ageMs: number } | undefined;

export function isOwnProcess(pid: number | undefined, scriptName: string, args: (string | number)[]): boolean;
export function findMarkedProcesses(marker: string, prefix: boolean): number[];
export function signalResource(pgid: number | undefined, marker: string, signal: NodeJS.Signals): void;
export function terminateResource(pgid: number | undefined, marker: string, graceMs: number): Promise<void>;
export function killMarkedProcesses(markerPrefix: string, boundMs: number): Promise<number[]>;
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean;
export function childEnvironment(extra: Record<string, string>): Record<string, string>;
export function spawnDetached(script: string, args: (string | number)[], cwd: string, marker: string): number;
export function sleep(ms: number): Promise<void>;
