/**
 * The usage ledger, the local stand-in for Cost Explorer: ledger/usage.jsonl
 * under the state folder, one billed interval per line, appended by the job
 * runners and endpoint hosts while they run and when they stop. A running
 * resource's newest seconds appear at its next ledger interval, so the
 * ledger lags like Cost Explorer does, but by seconds instead of hours.
 */
import { TAG_KEYS } from '../../../domain/constants';
import * as runtime from './runtime';
import type { LedgerEntry } from './runtime';

export type { LedgerEntry } from './runtime';

export function readLedger(stateDir: string): LedgerEntry[] {
  return runtime.readJsonLines<LedgerEntry>(runtime.ledgerFile(stateDir));
}

/** Sums the ledger entries tagged with the project, in total and per resource name. */
export function sumProjectSpend(entries: LedgerEntry[], projectId: string): { totalUsd: number; byResource: Record<string, number> } {
  const byResource: Record<string, number> = {};
  let totalUsd = 0;
  for (const entry of entries) {
    if (entry.tags?.[TAG_KEYS.project] !== projectId || typeof entry.usd !== 'number') continue;
    totalUsd += entry.usd;
    byResource[entry.resource] = (byResource[entry.resource] ?? 0) + entry.usd;
  }
  return { totalUsd, byResource };
}
