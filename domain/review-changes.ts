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

  const budgets = budgetLines(input.previousSpec, input.spec);
  let diff;
  try {
    const before = estimateCost(input.previousSpec, { priceTable: input.priceTable });
    const after = estimateCost(input.spec, { priceTable: input.priceTable });
    diff = { ...diffEstimates(before, after), beforeMonthlyUsd: before.totals.perMonthUsd, afterMonthlyUsd: after.totals.perMonthUsd };
  } catch (error) {
    if (!(error instanceof PriceNotFoundError)) throw error;
    return withReason({ lines: budgets, summary: `The cost difference to the previous spec cannot be computed: ${error.message}` });
  }

  const lines = diff.lines.filter((line) => line.mark !== ' ').map(toChangeLine);
  if (lines.length === 0) {
    const summary =
      budgets.length === 0
        ? 'The revised spec leaves every line of the estimate as it was.'
        : `The revised spec changes ${plural(budgets.length, 'budget')} and leaves every line of the estimate as it was.`;
    return withReason({ lines: budgets, perMonthChangeUsd: 0, summary });
  }
  const estimateLines = lines.length;
  lines.push(...budgets);
  const sign = diff.perMonthChangeUsd > 0 ? '+' : '';
  const budgetNote = budgets.length === 0 ? '' : ` The revision also changes ${plural(budgets.length, 'budget')}.`;
  return withReason({
    lines,
    perMonthChangeUsd: diff.perMonthChangeUsd,
    summary:
      `${plural(estimateLines, 'estimate line')} changed; the cost per month goes from ${formatUsd(diff.beforeMonthlyUsd)} ` +
      `to ${formatUsd(diff.afterMonthlyUsd)} (${sign}${formatUsd(diff.perMonthChangeUsd)}).${budgetNote}`,
  });
}

const BUDGETS: readonly { item: string; pick: (spec: ProjectSpec) => number | undefined }[] = [
  { item: 'budget, total', pick: (spec) => spec.budgets.totalUsd },
  { item: 'budget per month', pick: (spec) => spec.budgets.monthlyUsd },
  { item: 'cost cap per training job', pick: (spec) => spec.budgets.perTrainingJobUsd },
];

/** Lists the budgets the revision changed, marked `~` because a budget is a setting, not a cost. */
function budgetLines(before: ProjectSpec, after: ProjectSpec): ReviewChangeLine[] {
  return BUDGETS.flatMap(({ item, pick }) => {
    const old = pick(before);
    const revised = pick(after);
    if (old === revised) return [];
    const change = old !== undefined && revised !== undefined ? `${revised > old ? '+' : '-'}${formatUsd(Math.abs(revised - old))}` : 'changed';
    const show = (value: number | undefined) => (value === undefined ? 'none' : formatUsd(value));
    return [{ mark: '~' as const, item, before: show(old), after: show(revised), change }];
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
