/**
 * Renders the report model as one self-contained HTML page: the tables,
 * and up to four charts drawn by the inlined Chart.js bundle. The page loads
 * nothing from the network, and its Content-Security-Policy forbids it.
 */
import { formatNumber, formatUsd } from '../../domain/money';
import type { SummaryTable } from '../../domain/status';
import { escapeHtml } from '../approvals/render';
import { loadChartLibrary } from './chart-library';
import type { ReportModel } from './model';
import {
  benchmarkTable,
  cheapestHostingSentenceOf,
  keyFiguresTable,
  pricesSentence,
  recommendationSentence,
  spendPointsTable,
  unitCostTablesOf,
} from './tables';

const MS_PER_DAY = 24 * 60 * 60 * 1000;

/** Ids of the chart canvases, in page order. */
export const CHART_IDS = {
  spend: 'chart-spend',
  breakdown: 'chart-breakdown',
  costVsDuration: 'chart-cost-duration',
  costPer1000Predictions: 'chart-cost-per-1000',
} as const;

/** The figures the drawing script reads. Times become days since `startAt`, because a Chart.js time axis needs a date adapter. */
interface ChartData {
  startAt: string;
  budgetUsd: number;
  spend: { x: number; y: number }[];
  forecast: { x: number; y: number }[];
  breakdown?: { horizonHours: number; labels: string[]; values: number[] };
  /** Unit of the x values of costVsDuration, chosen from the longest job so the axis labels stay short. */
  durationUnit: 'seconds' | 'minutes' | 'hours';
  costVsDuration: { label: string; points: { x: number; y: number; name: string }[] }[];
  costPer1000Predictions: { labels: string[]; atFullUse: number[]; atPlannedLoad: number[] };
}

/**
 * Renders `model` as an HTML page in which every text from the model is
 * escaped. `chartLibrary` is the Chart.js UMD bundle, read from node_modules by default.
 */
export function renderReportHtml(model: ReportModel, chartLibrary: string = loadChartLibrary()): string {
  const title = `Cost report: ${model.name} (${model.projectId})`;
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">Phase ${escapeHtml(model.phase)} · owner ${escapeHtml(model.owner)} · generated ${escapeHtml(model.generatedAt)}</p>`,
    tableHtml(keyFiguresTable(model), 'key-figures'),
    spendSection(model),
    estimateSection(model),
    benchmarkSection(model),
    unitCostSection(model),
    model.notes.length > 0 ? `<section><h2>Notes</h2>${listHtml(model.notes)}</section>` : '',
    `<footer>Charts drawn with Chart.js, inlined in this file; the page needs no network.</footer>`,
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    '<body>',
    ...body.filter((part) => part !== ''),
    `<script type="application/json" id="report-data">${jsonForScript(chartData(model))}</script>`,
    `<script>${chartLibrary}</script>`,
    `<script>${DRAW_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function spendSection(model: ReportModel): string {
  const { forecast } = model;
  return [
    '<section>',
    '<h2>Spend against budget</h2>',
    chartHtml(CHART_IDS.spend, 'Cumulative spend, month-end forecast and budget over time'),
    `<p>${escapeHtml(forecast.method)}</p>`,
    `<p><strong>Limits of the forecast</strong></p>`,
    listHtml(forecast.limits),
    tableHtml(spendPointsTable(model)),
    '</section>',
  ].join('\n');
}

function estimateSection(model: ReportModel): string {
  if (!model.estimate) {
    return '<section><h2>Estimate</h2><p>No cost estimate is available for this project.</p></section>';
  }
  const prices = pricesSentence(model);
  return [
    '<section>',
    '<h2>Estimate</h2>',
    chartHtml(CHART_IDS.breakdown, `Estimated cost by item over ${formatNumber(model.estimate.horizonHours)} hours`),
    ...model.estimateTables.map((table) => tableHtml(table)),
    prices ? `<p>${escapeHtml(prices)}</p>` : '',
    model.estimate.notes.length > 0 ? `<div class="notes"><p><strong>Notes of the estimate</strong></p>${listHtml(model.estimate.notes)}</div>` : '',
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function benchmarkSection(model: ReportModel): string {
  if (model.benchmark.length === 0) {
    return '<section><h2>Benchmark</h2><p>No training job has run yet.</p></section>';
  }
  const recommendation = recommendationSentence(model);
  return [
    '<section>',
    '<h2>Benchmark</h2>',
    chartHtml(CHART_IDS.costVsDuration, 'Cost against duration of each training job, by configuration'),
    tableHtml(benchmarkTable(model)),
    recommendation ? `<p>${escapeHtml(recommendation)}</p>` : '',
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function unitCostSection(model: ReportModel): string {
  const tables = unitCostTablesOf(model);
  if (tables.length === 0) {
    return '<section><h2>Cost per unit of work</h2><p>No load test, throughput figure or completed benchmark run is available yet.</p></section>';
  }
  const cheapest = cheapestHostingSentenceOf(model);
  const warnings = model.unitCosts.warnings;
  return [
    '<section>',
    '<h2>Cost per unit of work</h2>',
    model.charts.costPer1000Predictions.length > 0
      ? chartHtml(CHART_IDS.costPer1000Predictions, 'Cost per 1,000 predictions by hosting type, at full use and at the planned load')
      : '',
    cheapest ? `<p>${escapeHtml(cheapest)}</p>` : '',
    ...tables.map((table) => tableHtml(table)),
    warnings.length > 0 ? `<div class="notes"><p><strong>Warnings</strong></p>${listHtml(warnings)}</div>` : '',
    '</section>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function chartHtml(id: string, caption: string): string {
  return `<figure><div class="chart"><canvas id="${id}" role="img" aria-label="${escapeHtml(caption)}"></canvas></div><figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function tableHtml(table: SummaryTable, className?: string): string {
  const header = table.columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  const classAttribute = className ? ` class="${className}"` : '';
  return [
    `<div class="table-scroll"><table${classAttribute}>`,
    `<caption>${escapeHtml(table.caption)}</caption>`,
    `<thead><tr>${header}</tr></thead>`,
    '<tbody>',
    ...rows,
    '</tbody>',
    '</table></div>',
  ].join('\n');
}

function listHtml(items: string[]): string {
  return `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

function chartData(model: ReportModel): ChartData {
  const { spendOverTime, costBreakdown, costVsDuration, costPer1000Predictions } = model.charts;
  const startAt = spendOverTime.points[0]?.at ?? model.generatedAt;
  const days = (at: string): number => (Date.parse(at) - Date.parse(startAt)) / MS_PER_DAY;
  const longestHours = Math.max(0, ...costVsDuration.flatMap((group) => group.jobs.map((job) => job.durationHours)));
  const durationUnit = durationUnitFor(longestHours);
  const perHour = { seconds: 3600, minutes: 60, hours: 1 }[durationUnit];
  return {
    startAt,
    budgetUsd: spendOverTime.budgetUsd,
    spend: spendOverTime.points.map((point) => ({ x: days(point.at), y: point.spendUsd })),
    forecast: spendOverTime.forecastLine.map((point) => ({ x: days(point.at), y: point.spendUsd })),
    breakdown: costBreakdown && {
      horizonHours: costBreakdown.horizonHours,
      labels: costBreakdown.items.map((item) => `${item.label}: ${formatUsd(item.usd)}`),
      values: costBreakdown.items.map((item) => item.usd),
    },
    durationUnit,
    costVsDuration: costVsDuration.map((group) => ({
      label: group.configuration,
      points: group.jobs.map((job) => ({ x: job.durationHours * perHour, y: job.costUsd, name: job.name })),
    })),
    costPer1000Predictions: {
      labels: costPer1000Predictions.map((entry) => entry.instanceType),
      atFullUse: costPer1000Predictions.map((entry) => entry.atFullUseUsd),
      atPlannedLoad: costPer1000Predictions.map((entry) => entry.atPlannedLoadUsd),
    },
  };
}

function durationUnitFor(hours: number): ChartData['durationUnit'] {
  if (hours < 1 / 60) return 'seconds';
  if (hours < 1) return 'minutes';
  return 'hours';
}

/** Serializes `value` for a <script type="application/json"> element: `<` is escaped so no text can close the element. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

const PAGE_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #1d1d1d; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta, footer, figcaption { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #c8c8c8; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
figure { margin: 1em 0; }
.chart { position: relative; height: 320px; }
.table-scroll { overflow-x: auto; }
.key-figures td:last-child { font-weight: bold; text-align: right; }
.notes { border-left: 4px solid #d9a400; padding: 0.2em 0 0.2em 1em; background: #fffbe6; }
footer { margin-top: 3em; }
`;

/** Draws the charts from the report-data element, skipping those without a canvas or data; plain ES5-style code run by the browser. */
const DRAW_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
  var startMs = Date.parse(data.startAt);
  var lastX = Math.max.apply(null, [0].concat(data.spend.map(function (p) { return p.x; }), data.forecast.map(function (p) { return p.x; })));
  Chart.defaults.animation = false;
  function usd(value) {
    var amount = Number(value);
    return '$' + (amount === 0 || Math.abs(amount) >= 0.01 ? amount.toFixed(2) : String(Number(amount.toPrecision(2))));
  }
  function day(value) {
    var iso = new Date(startMs + value * 86400000).toISOString();
    return lastX <= 3 ? iso.slice(5, 16).replace('T', ' ') : iso.slice(0, 10);
  }
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }
  draw('${CHART_IDS.spend}', {
    type: 'scatter',
    data: { datasets: [
      { label: 'spend so far', data: data.spend, showLine: true, borderColor: colors[0], backgroundColor: colors[0] },
      { label: 'forecast to month end', data: data.forecast, showLine: true, borderDash: [6, 4], borderColor: colors[1], backgroundColor: colors[1] },
      { label: 'budget', data: [{ x: 0, y: data.budgetUsd }, { x: lastX, y: data.budgetUsd }], showLine: true, pointRadius: 0, borderColor: colors[3], backgroundColor: colors[3] }
    ] },
    options: { maintainAspectRatio: false, scales: {
      x: { title: { display: true, text: 'date (UTC)' }, ticks: { callback: day } },
      y: { beginAtZero: true, title: { display: true, text: 'cumulative spend (USD)' }, ticks: { callback: usd } }
    } }
  });
  if (data.breakdown) {
    draw('${CHART_IDS.breakdown}', {
      type: 'bar',
      data: { labels: data.breakdown.labels, datasets: [{ label: 'USD over ' + data.breakdown.horizonHours + ' h', data: data.breakdown.values, backgroundColor: colors.slice(0, data.breakdown.values.length) }] },
      options: { indexAxis: 'y', maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { callback: usd } } } }
    });
  }
  draw('${CHART_IDS.costVsDuration}', {
    type: 'scatter',
    data: { datasets: data.costVsDuration.map(function (group, i) {
      return { label: group.label, data: group.points, pointRadius: 6, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length] };
    }) },
    options: { maintainAspectRatio: false,
      plugins: { tooltip: { callbacks: { label: function (item) { return item.raw.name + ': ' + usd(item.raw.y) + ' in ' + item.raw.x.toFixed(2) + ' ' + data.durationUnit; } } } },
      scales: {
        x: { beginAtZero: true, grace: '10%', title: { display: true, text: 'duration (' + data.durationUnit + ')' } },
        y: { beginAtZero: true, grace: '10%', title: { display: true, text: 'cost (USD)' }, ticks: { callback: usd } }
      } }
  });
  if (data.costPer1000Predictions.labels.length > 0) {
    draw('${CHART_IDS.costPer1000Predictions}', {
      type: 'bar',
      data: { labels: data.costPer1000Predictions.labels, datasets: [
        { label: 'at full use', data: data.costPer1000Predictions.atFullUse, backgroundColor: colors[0] },
        { label: 'at the planned load', data: data.costPer1000Predictions.atPlannedLoad, backgroundColor: colors[1] }
      ] },
      options: { maintainAspectRatio: false,
        plugins: { tooltip: { callbacks: { label: function (item) { return item.dataset.label + ': ' + usd(item.raw) + ' per 1,000 predictions'; } } } },
        scales: { y: { beginAtZero: true, title: { display: true, text: 'USD per 1,000 predictions' }, ticks: { callback: usd } } } }
    });
  }
})();
`;
