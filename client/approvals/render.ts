/**
 * Renders a ReviewSummary as an HTML fragment (approval page and e-mail
 * HTML part) and as plain text (e-mail text part). Pure functions without
 * I/O, so the mail activity can import them too.
 */
import type { Gate } from '../../domain/constants';
import type { ReviewSummary, SummaryTable } from '../../domain/status';

/** Name of the document approved at each gate, as it appears in subjects and headings. */
export const GATE_LABELS: Record<Gate, string> = {
  requirements: 'requirements',
  cost: 'cost estimate',
  deployment: 'deployment plan',
};

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}

/** Styles for the classes renderSummaryHtml emits; pages and e-mails put them in a <style> element. */
export const SUMMARY_CSS = `
.summary h2 { font-size: 1.2em; margin: 0 0 0.6em; }
.summary table { border-collapse: collapse; margin: 0.8em 0; }
.summary caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
.summary th, .summary td { border: 1px solid #c8c8c8; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.summary th { background: #f0f0f0; }
.summary .notes { border-left: 4px solid #d9a400; padding: 0.2em 0 0.2em 1em; background: #fffbe6; }
`;

/** Renders the summary as an HTML fragment in which every string from the summary is escaped. */
export function renderSummaryHtml(summary: ReviewSummary): string {
  const parts = [`<section class="summary">`, `<h2>${escapeHtml(summary.title)}</h2>`];
  for (const paragraph of summary.paragraphs) {
    parts.push(`<p>${escapeHtml(paragraph)}</p>`);
  }
  for (const table of summary.tables) {
    parts.push(renderTableHtml(table));
  }
  if (summary.notes.length > 0) {
    parts.push(`<div class="notes"><p><strong>Notes</strong></p><ul>`);
    for (const note of summary.notes) {
      parts.push(`<li>${escapeHtml(note)}</li>`);
    }
    parts.push(`</ul></div>`);
  }
  parts.push(`</section>`);
  return parts.join('\n');
}

function renderTableHtml(table: SummaryTable): string {
  const header = table.columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
  const rows = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return [
    `<table>`,
    `<caption>${escapeHtml(table.caption)}</caption>`,
    `<thead><tr>${header}</tr></thead>`,
    `<tbody>`,
    ...rows,
    `</tbody>`,
    `</table>`,
  ].join('\n');
}

/** Renders the summary as plain text with tables aligned in columns, for the text part of an e-mail. */
export function renderSummaryText(summary: ReviewSummary): string {
  const blocks = [`${summary.title}\n${'='.repeat(summary.title.length)}`];
  blocks.push(...summary.paragraphs);
  for (const table of summary.tables) {
    blocks.push(renderTableText(table));
  }
  if (summary.notes.length > 0) {
    blocks.push(['Notes:', ...summary.notes.map((note) => `- ${note}`)].join('\n'));
  }
  return blocks.join('\n\n');
}

function renderTableText(table: SummaryTable): string {
  const lines = [table.columns, ...table.rows];
  const columnCount = Math.max(...lines.map((line) => line.length));
  const widths = Array.from({ length: columnCount }, (_, column) =>
    Math.max(...lines.map((line) => (line[column] ?? '').length)),
  );
  const format = (line: string[]): string =>
    widths
      .map((width, column) => (line[column] ?? '').padEnd(width))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [table.caption, format(table.columns), rule, ...table.rows.map(format)].join('\n');
}
