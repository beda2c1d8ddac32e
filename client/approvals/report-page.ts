/**
 * The cost report behind the e-mail's "Full cost report with charts" link:
 * the page `mlops report` writes, built from the project's status when the
 * link is opened, and a Content-Security-Policy that lets only the page's
 * own inline scripts run.
 */
import { createHash } from 'node:crypto';
import type { ProjectStatus } from '../../domain/status';
import { renderReportHtml } from '../report/html';
import { buildReport } from '../report/model';

export interface ReportPage {
  html: string;
  /** Value of the Content-Security-Policy header to send with `html`. */
  contentSecurityPolicy: string;
}

/** Executable inline scripts: `<script>` elements without attributes. The JSON data element has attributes and does not run. */
const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

/**
 * Renders the cost report of `status` as of `now`. The policy allows each
 * inline script by its SHA-256 hash, so text that got into the page some
 * other way cannot run. Inline styles stay allowed because the report and
 * Chart.js use them, and the page may load nothing from the network.
 */
export function renderReportPage(status: ProjectStatus, now: Date): ReportPage {
  const html = renderReportHtml(buildReport(status, { now }));
  const hashes = [...html.matchAll(INLINE_SCRIPT)].map((match) => `'sha256-${createHash('sha256').update(match[1], 'utf8').digest('base64')}'`);
  const scriptSource = hashes.length > 0 ? hashes.join(' ') : "'none'";
  return {
    html,
    contentSecurityPolicy: `default-src 'none'; script-src ${scriptSource}; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
  };
}
