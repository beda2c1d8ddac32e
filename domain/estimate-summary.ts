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
      `over a horizon of ${formatNumber(estimate.horizonHours)} hours (${formatNumber(estimate.horizonHours / 24, 1)} ${estimate.horizonHours === 24 ? 'day' : 'days'}).`,
    `Training: ${formatUsd(training.usd)} for one run. ` +
      `Inference: ${formatUsd(inference.perHourUsd)} per hour, priced ${inference.basis === 'per-request' ? 'per request' : 'per instance-hour'}. ` +
      `First 24 hours: ${formatUsd(totals.first24HoursUsd)}. ` +
      `Over ${formatNumber(estimate.horizonHours)} hours: ${formatUsd(totals.horizonUsd)}.`,
  ];
  // Estimates computed before the per-month, options and sensitivity fields existed lack them; show what they have.
  const deeper = estimate.monthly === undefined ? [] : [periodTable(estimate), optionsTable(estimate), spotTable(estimate), savingsTable(estimate), sensitivityTable(estimate)];
  if (estimate.inferenceOptions) paragraphs.push(`Sizing: ${estimate.sizing.formula}. ${estimate.inferenceOptions.reason}`);
  return { paragraphs, tables: [costTable(estimate), budgetTable(estimate), ...deeper], notes: estimate.notes };
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

function periodTable(estimate: CostEstimate): SummaryTable {
  const { monthly, totals, training, inference, storage, network } = estimate;
  return {
    caption: 'Per month (730 h) and per year',
    columns: ['item', 'formula', 'per month', 'per year'],
    rows: [
      ['training', `${formatNumber(monthly.retrainingsPerMonth)} retraining runs/month × (${training.formula})`, formatUsd(monthly.trainingUsd), formatUsd(monthly.trainingUsd * 12)],
      ['inference', `${inference.formula} × 730 h`, formatUsd(monthly.inferenceUsd), formatUsd(monthly.inferenceUsd * 12)],
      ['storage', `${formatNumber(storage.startGb)} GB × ${formatPrice(storage.pricePerGbMonthUsd)}/GB-month`, formatUsd(monthly.storageUsd), formatUsd(monthly.storageUsd * 12)],
      ['network', `${network.formula} × 730 h`, formatUsd(monthly.networkUsd), formatUsd(monthly.networkUsd * 12)],
      ['total', `per year adds the first training run (${formatUsd(training.usd)})`, formatUsd(totals.perMonthUsd), formatUsd(totals.perYearUsd)],
    ],
  };
}

function optionsTable(estimate: CostEstimate): SummaryTable {
  const { inferenceOptions } = estimate;
  return {
    caption: `Inference options per month${inferenceOptions.latencyTargetMs === undefined ? '' : `, latency target ${formatNumber(inferenceOptions.latencyTargetMs)} ms`}`,
    columns: ['option', 'per month', 'latency', 'meets target', 'formula'],
    rows: inferenceOptions.options.map((option) => [
      option.option === inferenceOptions.recommended ? `${option.option} (recommended)` : option.option,
      option.monthlyUsd === undefined ? `- (${option.reason})` : formatUsd(option.monthlyUsd),
      option.latencyMs === undefined ? '-' : `${formatNumber(option.latencyMs)} ms`,
      option.meetsLatencyTarget ? 'yes' : 'no',
      option.formula,
    ]),
  };
}

function spotTable(estimate: CostEstimate): SummaryTable {
  const { spot } = estimate;
  return {
    caption: 'Training run: on-demand against spot',
    columns: ['capacity', 'hours', 'cost', 'formula'],
    rows: [
      ['on-demand', formatNumber(estimate.training.hours), formatUsd(spot.onDemandUsd), estimate.training.formula],
      ['spot', formatNumber(spot.spotHours), formatUsd(spot.spotUsd), spot.formula],
    ],
  };
}

function savingsTable(estimate: CostEstimate): SummaryTable {
  return {
    caption: `Steady real-time hosting (${estimate.sizing.instanceCount} × ${estimate.inference.instanceType}): savings plans, discounts are estimates`,
    columns: ['plan', 'discount', 'per month', 'commitment', 'break-even'],
    rows: estimate.savingsPlans.map((plan) => [
      plan.term,
      `${formatNumber(plan.discount * 100, 0)} %`,
      formatUsd(plan.monthlyUsd),
      plan.termMonths === 0 ? '-' : `${formatUsd(plan.commitmentUsd)} over ${plan.termMonths} months`,
      plan.termMonths === 0 ? '-' : `pays off if the endpoint runs ${formatNumber(plan.breakEvenMonths, 1)} of ${plan.termMonths} months`,
    ]),
  };
}

function sensitivityTable(estimate: CostEstimate): SummaryTable {
  const { sensitivity } = estimate;
  const change = (usd: number) => `${formatUsd(usd)} (${usd >= sensitivity.baseMonthlyUsd ? '+' : '-'}${formatUsd(Math.abs(usd - sensitivity.baseMonthlyUsd))})`;
  return {
    caption: 'Sensitivity: cost per month',
    columns: ['case', 'per month'],
    rows: [
      ['as specified', formatUsd(sensitivity.baseMonthlyUsd)],
      ['users double', change(sensitivity.usersDoubledMonthlyUsd)],
      ['data doubles (training time too)', change(sensitivity.dataDoubledMonthlyUsd)],
    ],
  };
}
