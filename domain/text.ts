/**
 * Plain-text rendering of summary tables and paragraphs, for the CLI.
 */
import type { SummaryTable } from './status';

/** Paragraphs, tables and notes: the body of a ReviewSummary without its gate, round and title. */
export interface SummaryBody {
  paragraphs: string[];
  tables: SummaryTable[];
  notes: string[];
}

/** Renders a table with a caption line, a header and columns padded to their widest cell. */
export function renderTableText(table: SummaryTable): string {
  const widths = table.columns.map((column, i) => Math.max(column.length, ...table.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    widths
      .map((width, i) => (cells[i] ?? '').padEnd(width))
      .join('  ')
      .trimEnd();
  return [`${table.caption}:`, line(table.columns), ...table.rows.map(line)].join('\n');
}

/** Renders a title, the paragraphs, the tables and a bulleted notes list, separated by blank lines. */
export function renderSummaryBodyText(title: string, body: SummaryBody): string {
  const blocks = [title, ...body.paragraphs, ...body.tables.map(renderTableText)];
  if (body.notes.length > 0) {
    blocks.push(['Notes:', ...body.notes.map((note) => `- ${note}`)].join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
