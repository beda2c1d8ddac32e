/**
 * Presentation of a CostEstimate: the review-summary body shown at the cost
 * gate and the plain text the CLI prints. Both carry the same figures.
 */
import type { CostEstimate } from './estimate';
import { formatNumber, formatPrice, formatUsd } from './money';
import type { SummaryTable } from './status';
import { renderSummaryBodyText, type SummaryBody } from './text';

/**
 * Builds the paragraphs, tables and notes that present `estimate`: a
 * headline with training, inference per hour and the two totals, a table
 * by cost item, and a table comparing the estimate with the budgets.
 */
export function estimateToSummary(estimate: CostEstimate): SummaryBody {
  const { training, inference, totals } = estimate;
  const paragraphs = [
    `Cost estimate for ${estimate.projectName} (${estimate.projectId}) in ${estimate.region}, ` +
      `over a horizon of ${formatNumber(estimate.horizonHours)} hours (${formatNumber(estimate.horizonHours / 24, 1)} days).`,
    `Training: ${formatUsd(training.usd)} for one run. ` +
      `Inference: ${formatUsd(inference.perHourUsd)} per hour, priced ${inference.basis === 'per-request' ? 'per request' : 'per instance-hour'}. ` +
      `First 24 hours: ${formatUsd(totals.first24HoursUsd)}. ` +
      `Over ${formatNumber(estimate.horizonHours)} hours: ${formatUsd(totals.horizonUsd)}.`,
  ];
  return { paragraphs, tables: [costTable(estimate), budgetTable(estimate)], notes: estimate.notes };
}

/** Renders the estimate as plain text for the CLI, amounts formatted as $1,234.56. */
export function formatEstimate(estimate: CostEstimate): string {
  return renderSummaryBodyText(`Cost estimate: ${estimate.projectId}`, estimateToSummary(estimate));
}

function costTable(estimate: CostEstimate): SummaryTable {
  const { training, inference, storage, network, totals } = estimate;
  const horizon = `over ${formatNumber(estimate.horizonHours)} h`;
  return {
    caption: 'Cost by item',
    columns: ['item', 'basis', 'price', 'per hour', 'first 24 h', horizon],
    rows: [
      [
        'training',
        `${training.instanceCount} × ${training.instanceType} for ${formatNumber(training.hours)} h, one run`,
        `${formatPrice(training.pricePerHourUsd)}/instance-hour (${training.priceSource})`,
        '-',
        formatUsd(training.usd),
        formatUsd(training.usd),
      ],
      [
        'inference',
        inferenceBasis(estimate),
        inferencePrice(estimate),
        formatUsd(inference.perHourUsd),
        formatUsd(inference.first24HoursUsd),
        formatUsd(inference.horizonUsd),
      ],
      [
        'storage',
        `${formatNumber(storage.startGb)} GB growing to ${formatNumber(storage.endGb)} GB`,
        `${formatPrice(storage.pricePerGbMonthUsd)}/GB-month (${storage.priceSource})`,
        '-',
        formatUsd(storage.first24HoursUsd),
        formatUsd(storage.horizonUsd),
      ],
      [
        'network',
        `${formatNumber(network.gbPerHour, 3)} GB/h transfer out`,
        `${formatPrice(network.pricePerGbUsd)}/GB (${network.priceSource})`,
        formatUsd(network.perHourUsd),
        formatUsd(network.first24HoursUsd),
        formatUsd(network.horizonUsd),
      ],
      ['total', '', '', formatUsd(totals.runningPerHourUsd), formatUsd(totals.first24HoursUsd), formatUsd(totals.horizonUsd)],
    ],
  };
}

function inferenceBasis(estimate: CostEstimate): string {
  const { inference } = estimate;
  const load = `${formatNumber(inference.requestsPerHour)} requests/h, peak ${formatNumber(inference.peakRequestsPerSecond)} requests/s`;
  if (inference.basis === 'per-request') return `per request: ${load}`;
  return `per instance-hour: ${inference.instanceCount} × ${inference.instanceType} (${load})`;
}

function inferencePrice(estimate: CostEstimate): string {
  const { inference } = estimate;
  if (inference.basis === 'per-request') return `${formatPrice(inference.pricePerRequestUsd ?? 0)}/request (${inference.priceSource})`;
  return `${formatPrice(inference.pricePerInstanceHourUsd ?? 0)}/instance-hour (${inference.priceSource})`;
}

function budgetTable(estimate: CostEstimate): SummaryTable {
  return {
    caption: 'Budgets',
    columns: ['budget', 'limit', 'estimate', 'for', 'result'],
    rows: estimate.budgetChecks.map((check) => [
      check.budget,
      formatUsd(check.budgetUsd),
      formatUsd(check.estimateUsd),
      check.label,
      check.within ? 'within budget' : 'over budget',
    ]),
  };
}
