/**
 * Renders the report model as Markdown: the same tables and sentences as
 * the HTML page, without charts.
 */
import { formatNumber } from '../../domain/money';
import type { SummaryTable } from '../../domain/status';
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

/** Renders `model` as Markdown. Text from the model is escaped, so it cannot add HTML, links or table cells. */
export function renderReportMarkdown(model: ReportModel): string {
  const blocks = [
    `# Cost report: ${escapeMarkdown(model.name)} (${escapeMarkdown(model.projectId)})`,
    `Phase ${escapeMarkdown(model.phase)} · owner ${escapeMarkdown(model.owner)} · generated ${escapeMarkdown(model.generatedAt)}`,
    '_This Markdown report has no charts; `mlops report --format html` draws them._',
    tableMarkdown(keyFiguresTable(model)),
    '## Spend against budget',
    escapeMarkdown(model.forecast.method),
    `Limits of the forecast:\n\n${listMarkdown(model.forecast.limits)}`,
    tableMarkdown(spendPointsTable(model)),
    '## Estimate',
    ...estimateBlocks(model),
    '## Benchmark',
    ...benchmarkBlocks(model),
    '## Cost per unit of work',
    ...unitCostBlocks(model),
  ];
  if (model.notes.length > 0) blocks.push('## Notes', listMarkdown(model.notes));
  return `${blocks.join('\n\n')}\n`;
}

function estimateBlocks(model: ReportModel): string[] {
  if (!model.estimate) return ['No cost estimate is available for this project.'];
  const blocks = [
    `Horizon: ${formatNumber(model.estimate.horizonHours)} hours.`,
    ...model.estimateTables.map(tableMarkdown),
  ];
  const prices = pricesSentence(model);
  if (prices) blocks.push(escapeMarkdown(prices));
  if (model.estimate.notes.length > 0) blocks.push(`Notes of the estimate:\n\n${listMarkdown(model.estimate.notes)}`);
  return blocks;
}

function benchmarkBlocks(model: ReportModel): string[] {
  if (model.benchmark.length === 0) return ['No training job has run yet.'];
  const blocks = [tableMarkdown(benchmarkTable(model))];
  const recommendation = recommendationSentence(model);
  if (recommendation) blocks.push(escapeMarkdown(recommendation));
  return blocks;
}

function unitCostBlocks(model: ReportModel): string[] {
  const tables = unitCostTablesOf(model);
  if (tables.length === 0) return ['No load test, throughput figure or completed benchmark run is available yet.'];
  const blocks: string[] = [];
  const cheapest = cheapestHostingSentenceOf(model);
  if (cheapest) blocks.push(escapeMarkdown(cheapest));
  blocks.push(...tables.map(tableMarkdown));
  if (model.unitCosts.warnings.length > 0) blocks.push(`Warnings:\n\n${listMarkdown(model.unitCosts.warnings)}`);
  return blocks;
}

function tableMarkdown(table: SummaryTable): string {
  const line = (cells: string[]): string => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [`**${escapeMarkdown(table.caption)}**`, '', line(table.columns), `|${table.columns.map(() => ' --- ').join('|')}|`, ...table.rows.map(line)].join('\n');
}

function listMarkdown(items: string[]): string {
  return items.map((item) => `- ${escapeMarkdown(item)}`).join('\n');
}

/**
 * Escapes text for Markdown: HTML special characters become entities, the
 * characters that start emphasis, links, code or table cells get a
 * backslash, and line breaks become spaces so a cell stays on one line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#])/g, '\\$1');
}
