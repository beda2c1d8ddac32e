/**
 * The changes section of a review round that a revised spec opened: the
 * estimate of the previous spec against the estimate of the revised one,
 * changed lines only, with the change of the cost per month.
 */
import { estimateCost } from './estimate';
import { diffEstimates, formatDiffChange, formatDiffValue, type EstimateDiffLine } from './estimate-diff';
import { formatUsd, plural } from './money';
import { PriceNotFoundError, type PriceTable } from './prices';
import type { ProjectSpec } from './spec';
import type { ReviewChangeLine, ReviewChanges } from './status';

export interface ReviewChangesInput {
  previousSpec: ProjectSpec;
  spec: ProjectSpec;
  /** Reason for the revision; blank text counts as none. */
  reason?: string;
  /** Price table for both estimates; the bundled one when absent. */
  priceTable?: PriceTable;
}

/**
 * Builds the changes section. Both estimates are computed here from their
 * specs with the same price table, so a difference comes from the specs
 * alone. A price missing for either spec gives a section without lines
 * whose summary names the missing price.
 */
export function buildReviewChanges(input: ReviewChangesInput): ReviewChanges {
  const reason = input.reason?.trim() || undefined;
  const withReason = (changes: Omit<ReviewChanges, 'reason'>): ReviewChanges => (reason === undefined ? changes : { reason, ...changes });

  let diff;
  try {
    const before = estimateCost(input.previousSpec, { priceTable: input.priceTable });
    const after = estimateCost(input.spec, { priceTable: input.priceTable });
    diff = { ...diffEstimates(before, after), beforeMonthlyUsd: before.totals.perMonthUsd, afterMonthlyUsd: after.totals.perMonthUsd };
  } catch (error) {
    if (!(error instanceof PriceNotFoundError)) throw error;
    return withReason({ lines: [], summary: `The cost difference to the previous spec cannot be computed: ${error.message}` });
  }

  const lines = diff.lines.filter((line) => line.mark !== ' ').map(toChangeLine);
  if (lines.length === 0) {
    return withReason({ lines, perMonthChangeUsd: 0, summary: 'The revised spec leaves every line of the estimate as it was.' });
  }
  const sign = diff.perMonthChangeUsd > 0 ? '+' : '';
  return withReason({
    lines,
    perMonthChangeUsd: diff.perMonthChangeUsd,
    summary:
      `${plural(lines.length, 'estimate line')} changed; the cost per month goes from ${formatUsd(diff.beforeMonthlyUsd)} ` +
      `to ${formatUsd(diff.afterMonthlyUsd)} (${sign}${formatUsd(diff.perMonthChangeUsd)}).`,
  });
}

function toChangeLine(line: EstimateDiffLine): ReviewChangeLine {
  return {
    mark: line.mark as ReviewChangeLine['mark'],
    item: line.item,
    before: formatDiffValue(line, line.before),
    after: formatDiffValue(line, line.after),
    change: formatDiffChange(line),
  };
}
