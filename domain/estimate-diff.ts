/**
 * A line-by-line comparison of two cost estimates, shown like an
 * infrastructure plan diff: `+` for a line that costs more, `-` for one that
 * costs less, `~` for a changed setting, and a blank for no change.
 */
import type { CostEstimate } from './estimate';
import { formatNumber, formatUsd, roundUsd } from './money';

export type DiffMark = '+' | '-' | '~' | ' ';

export interface EstimateDiffLine {
  item: string;
  /** `usd` amounts are dollars, `count` a plain number, `text` a setting. */
  kind: 'usd' | 'count' | 'text';
  before: number | string;
  after: number | string;
  /** after − before for numbers (rounded to cents for `usd`); undefined for text. */
  change?: number;
  mark: DiffMark;
}

export interface EstimateDiff {
  before: string;
  after: string;
  lines: EstimateDiffLine[];
  /** Lines whose mark is not blank. */
  changedCount: number;
  /** Change of the per-month total. */
  perMonthChangeUsd: number;
}

type Picker = (estimate: CostEstimate) => number | string | undefined;

const LINES: readonly { item: string; kind: EstimateDiffLine['kind']; pick: Picker }[] = [
  { item: 'region', kind: 'text', pick: (e) => e.region },
  { item: 'price table date', kind: 'text', pick: (e) => e.prices.tableDate },
  { item: 'training instance', kind: 'text', pick: (e) => `${e.training.instanceCount} × ${e.training.instanceType}` },
  { item: 'training hours per run', kind: 'count', pick: (e) => e.training.hours },
  { item: 'training, one run', kind: 'usd', pick: (e) => e.training.usd },
  { item: 'training, one spot run', kind: 'usd', pick: (e) => e.spot?.spotUsd },
  { item: 'inference basis', kind: 'text', pick: (e) => `${e.inference.basis}: ${e.inference.instanceCount} × ${e.inference.instanceType}` },
  { item: 'requests per hour', kind: 'count', pick: (e) => e.inference.requestsPerHour },
  { item: 'inference per hour', kind: 'usd', pick: (e) => e.inference.perHourUsd },
  { item: 'sized instances', kind: 'count', pick: (e) => e.sizing?.instanceCount },
  { item: 'recommended inference option', kind: 'text', pick: (e) => e.inferenceOptions?.recommended ?? 'none' },
  { item: 'first 24 hours', kind: 'usd', pick: (e) => e.totals.first24HoursUsd },
  { item: 'horizon total', kind: 'usd', pick: (e) => e.totals.horizonUsd },
  { item: 'training per month', kind: 'usd', pick: (e) => e.monthly?.trainingUsd },
  { item: 'inference per month', kind: 'usd', pick: (e) => e.monthly?.inferenceUsd },
  { item: 'storage per month', kind: 'usd', pick: (e) => e.monthly?.storageUsd },
  { item: 'network per month', kind: 'usd', pick: (e) => e.monthly?.networkUsd },
  { item: 'total per month', kind: 'usd', pick: (e) => e.totals.perMonthUsd },
  { item: 'total per year', kind: 'usd', pick: (e) => e.totals.perYearUsd },
];

/** Compares `after` with `before`, line by line; `beforeName` and `afterName` label the two sides, such as file names. */
export function diffEstimates(before: CostEstimate, after: CostEstimate, beforeName = 'before', afterName = 'after'): EstimateDiff {
  const lines = LINES.flatMap(({ item, kind, pick }): EstimateDiffLine[] => {
    const a = pick(before);
    const b = pick(after);
    if (a === undefined || b === undefined) return [];
    if (kind === 'text') return [{ item, kind, before: a, after: b, mark: a === b ? ' ' : '~' }];
    const change = kind === 'usd' ? roundUsd(Number(b) - Number(a)) : Number(b) - Number(a);
    let mark: DiffMark = ' ';
    if (change > 0) mark = '+';
    if (change < 0) mark = '-';
    return [{ item, kind, before: a, after: b, change, mark }];
  });
  return {
    before: beforeName,
    after: afterName,
    lines,
    changedCount: lines.filter((line) => line.mark !== ' ').length,
    perMonthChangeUsd: roundUsd((after.totals.perMonthUsd ?? 0) - (before.totals.perMonthUsd ?? 0)),
  };
}

/** Renders the diff as aligned plain text, one line per item, with a closing summary line. */
export function formatEstimateDiff(diff: EstimateDiff): string {
  const rows = diff.lines.map((line) => [line.mark, line.item, formatDiffValue(line, line.before), formatDiffValue(line, line.after), formatDiffChange(line)]);
  const header = [' ', 'item', diff.before, diff.after, 'change'];
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const render = (row: string[]): string =>
    row
      .map((cell, column) => (column >= 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  const sign = diff.perMonthChangeUsd > 0 ? '+' : '';
  const summary =
    diff.changedCount === 0
      ? 'No change.'
      : `${diff.changedCount} of ${diff.lines.length} lines changed; the cost per month changes by ${sign}${formatUsd(diff.perMonthChangeUsd)}.`;
  return [`Estimate diff: ${diff.before} -> ${diff.after}`, render(header), ...rows.map(render), '', summary].join('\n');
}

/** Formats one side of a diff line: dollars as $1,234.56, counts with thousands separators, settings as they are. */
export function formatDiffValue(line: EstimateDiffLine, value: number | string): string {
  if (line.kind === 'text') return String(value);
  return line.kind === 'usd' ? formatUsd(Number(value)) : formatNumber(Number(value));
}

/** Formats the change of a diff line with its sign, `changed` for a setting, or '' when nothing changed. */
export function formatDiffChange(line: EstimateDiffLine): string {
  if (line.change === undefined) return line.mark === '~' ? 'changed' : '';
  if (line.change === 0) return '';
  const amount = line.kind === 'usd' ? formatUsd(Math.abs(line.change)) : formatNumber(Math.abs(line.change));
  return `${line.change > 0 ? '+' : '-'}${amount}`;
}
