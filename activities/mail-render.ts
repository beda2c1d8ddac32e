/**
 * Subject, text and HTML of the approval-request e-mail. The summary itself
 * is rendered by the same functions as the approval page, so the e-mail and
 * the page show the same document. The key figures come first, above the
 * links, so a reader sees budget, estimate and warnings before anything else.
 */
import {
  escapeHtml,
  GATE_LABELS,
  renderKeyFiguresHtml,
  renderKeyFiguresText,
  renderSummaryHtml,
  renderSummaryText,
  SUMMARY_CSS,
} from '../client/approvals/render';
import type { Gate } from '../domain/constants';
import type { ReviewSummary } from '../domain/status';

export const SUBJECT_PREFIX = '[mlops]';

export interface ApprovalRequestContent {
  recipientName: string;
  projectName: string;
  projectId: string;
  gate: Gate;
  round: number;
  summary: ReviewSummary;
  /** The stakeholder's personal approval link. */
  link: string;
  /** Link to the project's cost report with charts, built with reportLink() from the same token. */
  reportLink?: string;
  /** Expiry of the link as epoch seconds, when known. */
  expiresAt?: number;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Replaces line breaks and runs of whitespace, so a project name cannot add lines to a header. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function approvalSubject(projectName: string, gate: Gate, round: number): string {
  return `${SUBJECT_PREFIX} Approve ${GATE_LABELS[gate]} for ${oneLine(projectName)} (round ${round})`;
}

/** Text of the report link, in both parts of the e-mail. */
export const REPORT_LINK_TEXT = 'Full cost report with charts';

/** Renders the approval request; throws when a link is not an http(s) URL, because no stakeholder could open it. */
export function renderApprovalRequest(content: ApprovalRequestContent): RenderedMail {
  checkLink(content.link, 'approval link', 'approvalLink()');
  if (content.reportLink !== undefined) checkLink(content.reportLink, 'report link', 'reportLink()');
  const label = GATE_LABELS[content.gate];
  const keyFigures = content.summary.keyFigures ?? [];
  const validUntil = content.expiresAt === undefined ? '' : ` ${content.reportLink ? 'They are' : 'It is'} valid until ${formatEpochSeconds(content.expiresAt)}.`;
  const personalNote = content.reportLink
    ? `Both links are personal: whoever has either one can decide in your name, so do not forward this e-mail.${validUntil}`
    : `The link is personal: whoever has it can decide in your name, so do not forward this e-mail.${validUntil}`;

  const textBlocks = [
    `Hello ${content.recipientName},`,
    `${content.projectName} (${content.projectId}) is waiting for your decision on its ${label}, round ${content.round}.`,
  ];
  if (keyFigures.length > 0) textBlocks.push(renderKeyFiguresText(keyFigures));
  textBlocks.push(`Open this link to read the summary and approve, reject or request changes:\n${content.link}`);
  if (content.reportLink) textBlocks.push(`${REPORT_LINK_TEXT}:\n${content.reportLink}`);
  textBlocks.push(personalNote, renderSummaryText(content.summary, { keyFigures: false }), '-- \nSent by the mlops orchestrator.');
  const text = textBlocks.join('\n\n');

  const reportHtml = content.reportLink
    ? `<p><a href="${escapeHtml(content.reportLink)}">${REPORT_LINK_TEXT}</a></p>\n`
    : '';

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45; color: #1d1d1d; }
.action { display: inline-block; padding: 0.5em 1.4em; background: #1f5fbf; color: #ffffff; text-decoration: none; border-radius: 4px; font-weight: bold; }
${SUMMARY_CSS}
</style>
</head>
<body>
<p>Hello ${escapeHtml(content.recipientName)},</p>
<p><strong>${escapeHtml(content.projectName)}</strong> (${escapeHtml(content.projectId)}) is waiting for your decision on its ${escapeHtml(label)}, round ${content.round}.</p>
${keyFigures.length > 0 ? `${renderKeyFiguresHtml(keyFigures)}\n` : ''}<p><a class="action" href="${escapeHtml(content.link)}">Review and decide</a></p>
<p>If the button does not work, copy this address into your browser:<br>${escapeHtml(content.link)}</p>
${reportHtml}<p>${escapeHtml(personalNote)}</p>
${renderSummaryHtml(content.summary, { keyFigures: false })}
<p>Sent by the mlops orchestrator.</p>
</body>
</html>
`;

  return { subject: approvalSubject(content.projectName, content.gate, content.round), text, html };
}

function checkLink(link: string, name: string, builder: string): void {
  let url: URL | undefined;
  try {
    url = new URL(link);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // The link itself stays out of the message because it contains the token.
    const found = url ? `a ${url.protocol} URL` : 'not a URL';
    throw new Error(`${name} is ${found}; expected an http or https URL built with ${builder}`);
  }
}

function formatEpochSeconds(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
