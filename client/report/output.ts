/**
 * Chooses the format and destination of a report and writes it: the I/O
 * side of the report, kept apart from the pure model and renderers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { invalidInput } from '../errors';
import { renderReportHtml } from './html';
import { renderReportMarkdown } from './markdown';
import type { ReportModel } from './model';

export const REPORT_FORMATS = ['html', 'md', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `--out` value that means standard output. */
export const STDOUT = '-';

/** Returns whether `value` names a report format. */
export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/** Renders `model` in `format`; JSON is the model itself, indented. */
export function renderReport(model: ReportModel, format: ReportFormat): string {
  if (format === 'html') return renderReportHtml(model);
  if (format === 'md') return renderReportMarkdown(model);
  return `${JSON.stringify(model, null, 2)}\n`;
}

/**
 * Returns where a report goes when `--out` is not given: HTML to
 * `<id>-report.html` in the current folder, because a page is opened in a
 * browser and not read in a terminal; Markdown and JSON to stdout.
 */
export function defaultDestination(projectId: string, format: ReportFormat): string {
  return format === 'html' ? `${projectId}-report.html` : STDOUT;
}

/** Throws a CliError with exit code 2 unless the folder of `destination` exists, so a bad --out fails before any query. */
export function checkDestination(destination: string): void {
  if (destination === STDOUT) return;
  const folder = path.dirname(path.resolve(destination));
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw invalidInput(`invalid --out '${destination}': folder ${folder} does not exist; create it or pass another file`);
  }
}

/** Writes `text` to the file `destination`, or to stdout for `-`. */
export function writeDestination(destination: string, text: string): void {
  if (destination === STDOUT) {
    process.stdout.write(text);
    return;
  }
  try {
    fs.writeFileSync(destination, text);
  } catch (err) {
    throw invalidInput(`cannot write --out '${destination}': ${(err as NodeJS.ErrnoException).code ?? String(err)}; pass a writable file`, { cause: err });
  }
}
