/**
 * The report's text content as preformatted tables and sentences, shared
 * by the HTML and Markdown renderers so both show the same figures.
 */
import { formatDuration, formatNumber, formatPrice, formatUsd } from '../../domain/money';
import type { SummaryTable } from '../../domain/status';
import { cheapestHostingSentence, unitCostTables } from '../../domain/unit-costs';
import type { BenchmarkRow, ReportModel } from './model';

/** Lists spend so far, budget, remaining budget, month-end forecast and the estimate total. */
export function keyFiguresTable(model: ReportModel): SummaryTable {
  const { spend, forecast, estimate } = model;
  const rows = [
    ['spend so far', formatUsd(spend.spendUsd)],
    ['budget', formatUsd(spend.budgetUsd)],
    ['budget used', `${formatNumber(spend.budgetUsedFraction * 100, 1)} %`],
    ['remaining budget', formatUsd(spend.remainingUsd)],
    ['of which training jobs', formatUsd(spend.trainingJobsUsd)],
    [
      `forecast at month end (${forecast.monthEnd.slice(0, 10)})`,
      forecast.forecastUsd === undefined ? 'not enough data' : `${formatUsd(forecast.forecastUsd)}${forecast.overBudget ? ' (over budget)' : ''}`,
    ],
    ['spend trend', forecast.slopeUsdPerDay === undefined ? '-' : `${formatUsd(forecast.slopeUsdPerDay)} per day`],
  ];
  if (estimate) {
    rows.push([`estimate over ${formatNumber(estimate.horizonHours)} h`, formatUsd(estimate.totals.horizonUsd)]);
  }
  const check = model.costCheck;
  if (check) {
    const reported = check.reportedUsd === undefined ? 'not available (see notes)' : formatUsd(check.reportedUsd);
    rows.push([`Cost Explorer ${check.metric} (${formatTime(check.at)} UTC)`, reported]);
    if (check.differenceUsd !== undefined) {
      const percent = check.differencePercent === undefined ? '' : ` (${formatNumber(check.differencePercent, 1)} %)`;
      rows.push(['Cost Explorer minus metered', `${formatUsd(check.differenceUsd)}${percent}`]);
    }
    if (check.forecastRestOfMonthUsd !== undefined) rows.push(['Cost Explorer forecast, rest of month', formatUsd(check.forecastRestOfMonthUsd)]);
  }
  return { caption: 'Key figures', columns: ['figure', 'value'], rows };
}

/** Lists the cumulative spend points the forecast is fitted to. */
export function spendPointsTable(model: ReportModel): SummaryTable {
  return {
    caption: 'Cumulative spend points',
    columns: ['time (UTC)', 'spend', 'source'],
    rows: model.charts.spendOverTime.points.map((point) => [formatTime(point.at), formatUsd(point.spendUsd), point.source]),
  };
}

/** Lists every training job with its configuration, duration, cost, cap, metrics and resource use. */
export function benchmarkTable(model: ReportModel): SummaryTable {
  const metricNames = [...new Set(model.benchmark.flatMap((row) => Object.keys(row.metrics)))].sort();
  const spotSavings = model.benchmark.some((row) => row.spotSavingsPercent !== undefined);
  return {
    caption: 'Training jobs',
    columns: [
      'job',
      'purpose',
      'configuration',
      'status',
      'duration',
      'price',
      'cost',
      'cap',
      'stopped by cap',
      ...(spotSavings ? ['spot saving'] : []),
      ...metricNames,
      'CPU max / avg',
      'memory max',
    ],
    rows: model.benchmark.map((row) => {
      const spotSaving = row.spotSavingsPercent === undefined ? '-' : `${formatNumber(row.spotSavingsPercent, 1)} %`;
      return [
        row.name,
        row.purpose,
        row.configuration,
        row.failureReason ? `${row.status}: ${row.failureReason}` : row.status,
        formatDuration(row.durationSeconds),
        `${formatPrice(row.pricePerHourUsd)}/instance-hour`,
        formatUsd(row.costUsd),
        formatUsd(row.capUsd),
        row.stopped ? 'yes' : 'no',
        ...(spotSavings ? [spotSaving] : []),
        ...metricNames.map((name) => (row.metrics[name] === undefined ? '-' : formatNumber(row.metrics[name], 4))),
        formatCpu(row),
        row.memoryMiBMax === undefined ? '-' : `${formatNumber(row.memoryMiBMax, 0)} MiB`,
      ];
    }),
  };
}

function formatCpu(row: BenchmarkRow): string {
  if (row.cpuPercentMax === undefined || row.cpuPercentAvg === undefined) return '-';
  return `${formatNumber(row.cpuPercentMax, 0)} % / ${formatNumber(row.cpuPercentAvg, 0)} %`;
}

/** Formats an ISO-8601 time as `2026-11-02 00:00`, in UTC. */
export function formatTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** Returns a sentence naming the recommended configuration and why, or undefined without one. */
export function recommendationSentence(model: ReportModel): string | undefined {
  const recommendation = model.recommendation;
  if (!recommendation) return undefined;
  const configuration = `${recommendation.instanceCount} × ${recommendation.instanceType}${recommendation.spot ? ' (spot)' : ''}`;
  return `Recommended configuration: ${configuration}. ${recommendation.reason}`;
}

/** Returns a sentence on the prices the estimate used: table date, region and overrides. */
export function pricesSentence(model: ReportModel): string | undefined {
  const prices = model.estimate?.prices;
  if (!prices) return undefined;
  const overrides = prices.overrides.length > 0 ? ` Set in the spec: ${prices.overrides.join(', ')}.` : '';
  return `Prices: ${prices.tableSource}, dated ${prices.tableDate}, region ${prices.region}.${overrides}`;
}

/**
 * Lists the load tests, the endpoint sizing with the cost per 1,000
 * predictions and the training cost as the data grows. Tables without rows are left out.
 */
export function unitCostTablesOf(model: ReportModel): SummaryTable[] {
  return unitCostTables(model.unitCosts);
}

/** Returns a sentence naming the cheapest measured hosting type per prediction, or undefined when none qualifies. */
export function cheapestHostingSentenceOf(model: ReportModel): string | undefined {
  return cheapestHostingSentence(model.unitCosts);
}
