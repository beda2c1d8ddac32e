/**
 * Renders a ReviewSummary as an HTML fragment (approval page and e-mail
 * HTML part) and as plain text (e-mail text part). Pure functions without
 * I/O, so the mail activity can import them too.
 */
import type { Gate } from '../../domain/constants';
import type { KeyFigure, ReviewChanges, ReviewSummary, SummaryTable } from '../../domain/status';

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
.summary h3 { font-size: 1.05em; margin: 1em 0 0.4em; }
table.key-figures { border-collapse: collapse; margin: 0.8em 0; }
table.key-figures caption { text-align: left; font-weight: bold; padding: 0.3em 0; }
table.key-figures th, table.key-figures td { border: 1px solid #c8c8c8; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
table.key-figures th { background: #f0f0f0; }
table.key-figures tr.warning th, table.key-figures tr.warning td { background: #fdecea; color: #8c1d18; font-weight: bold; }
.summary table.diff td.mark { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight: bold; text-align: center; }
.summary table.diff tr.more td { background: #fdecea; }
.summary table.diff tr.less td { background: #e8f5ea; }
.summary table.diff tr.setting td { background: #fff6dc; }
`;

/** Options of renderSummaryHtml and renderSummaryText. */
export interface SummaryRenderOptions {
  /** False leaves the key figures out, for a caller that shows them elsewhere, such as above the e-mail's link; default true. */
  keyFigures?: boolean;
}

/** Renders the key figures as a two-column table; rows of warnings get the class `warning`. Every string is escaped. */
export function renderKeyFiguresHtml(figures: KeyFigure[]): string {
  const rows = figures.map(
    (figure) =>
      `<tr${figure.warning ? ' class="warning"' : ''}><th scope="row">${escapeHtml(figure.label)}</th><td>${escapeHtml(figure.value)}</td></tr>`,
  );
  return [`<table class="key-figures">`, `<caption>Key figures</caption>`, `<tbody>`, ...rows, `</tbody>`, `</table>`].join('\n');
}

/** Renders the key figures as aligned `label  value` lines under a heading; warnings start with `!`. */
export function renderKeyFiguresText(figures: KeyFigure[]): string {
  const width = Math.max(...figures.map((figure) => figure.label.length));
  const lines = figures.map((figure) => `${figure.warning ? '!' : ' '} ${figure.label.padEnd(width)}  ${figure.value}`);
  return ['Key figures', '-----------', ...lines].join('\n');
}

const CHANGES_HEADING = 'Changes since the previous round';
const DIFF_COLUMNS = ['', 'item', 'before', 'after', 'change'];
const MARK_CLASSES: Record<ReviewChanges['lines'][number]['mark'], string> = { '+': 'more', '-': 'less', '~': 'setting' };

function renderChangesHtml(changes: ReviewChanges): string {
  const parts = [`<h3>${CHANGES_HEADING}</h3>`];
  if (changes.reason) {
    parts.push(`<p>Reason for the revision: ${escapeHtml(changes.reason)}</p>`);
  }
  if (changes.lines.length > 0) {
    const header = DIFF_COLUMNS.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('');
    const rows = changes.lines.map(
      (line) =>
        `<tr class="${MARK_CLASSES[line.mark]}"><td class="mark">${escapeHtml(line.mark)}</td><td>${escapeHtml(line.item)}</td>` +
        `<td>${escapeHtml(line.before)}</td><td>${escapeHtml(line.after)}</td><td>${escapeHtml(line.change)}</td></tr>`,
    );
    parts.push(
      [
        `<table class="diff">`,
        `<caption>Estimate of the previous spec against the revised spec: + costs more, - costs less, ~ changed setting</caption>`,
        `<thead><tr>${header}</tr></thead>`,
        `<tbody>`,
        ...rows,
        `</tbody>`,
        `</table>`,
      ].join('\n'),
    );
  }
  parts.push(`<p><strong>${escapeHtml(changes.summary)}</strong></p>`);
  return parts.join('\n');
}

function renderChangesText(changes: ReviewChanges): string {
  const lines = [CHANGES_HEADING, '-'.repeat(CHANGES_HEADING.length)];
  if (changes.reason) {
    lines.push(`Reason for the revision: ${changes.reason}`);
  }
  if (changes.lines.length > 0) {
    const rows = [DIFF_COLUMNS, ...changes.lines.map((line) => [line.mark, line.item, line.before, line.after, line.change])];
    const widths = DIFF_COLUMNS.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    // Amounts are right-aligned, as in a plan diff, so their digits line up.
    const format = (row: string[]): string =>
      row
        .map((cell, column) => (column >= 2 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd();
    lines.push(...rows.map(format));
  }
  lines.push(changes.summary);
  return lines.join('\n');
}

/** Renders the summary as an HTML fragment in which every string from the summary is escaped. */
export function renderSummaryHtml(summary: ReviewSummary, options: SummaryRenderOptions = {}): string {
  const parts = [`<section class="summary">`, `<h2>${escapeHtml(summary.title)}</h2>`];
  if (options.keyFigures !== false && summary.keyFigures && summary.keyFigures.length > 0) {
    parts.push(renderKeyFiguresHtml(summary.keyFigures));
  }
  if (summary.changes) {
    parts.push(renderChangesHtml(summary.changes));
  }
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
export function renderSummaryText(summary: ReviewSummary, options: SummaryRenderOptions = {}): string {
  const blocks = [`${summary.title}\n${'='.repeat(summary.title.length)}`];
  if (options.keyFigures !== false && summary.keyFigures && summary.keyFigures.length > 0) {
    blocks.push(renderKeyFiguresText(summary.keyFigures));
  }
  if (summary.changes) {
    blocks.push(renderChangesText(summary.changes));
  }
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
