/**
 * HTML pages of the approval server: the review page with its form, the
 * result of a decision, and error pages. Every value from the workflow or
 * the token is escaped. Pages load nothing (no scripts, images, fonts or
 * external styles), and their one <style> element carries the response's
 * CSP nonce.
 */
import type { ApprovalRecord, Decision, ProjectStatus, ReviewSummary } from '../../domain/status';
import type { DecideResult } from '../../workflows/messages';
import { escapeHtml, GATE_LABELS, renderKeyFiguresHtml, renderSummaryHtml, SUMMARY_CSS } from './render';
import type { ApprovalClaims } from './tokens';

/** Maximum length of a comment, in characters; the form and the server both enforce it. */
export const MAX_COMMENT_LENGTH = 2000;

/** The decisions the form offers, as the POST sends them. */
export const DECISIONS = ['approved', 'rejected', 'request-changes'] as const satisfies readonly Decision[];

/** A recorded decision as the review page words it. */
const DECISION_LABELS: Record<Decision, string> = { approved: 'approved', rejected: 'rejected', 'request-changes': 'changes requested' };

const PAGE_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.45; color: #1d1d1d; margin: 0; background: #fafafa; }
main { max-width: 52em; margin: 0 auto; padding: 1.5em; background: #fff; }
h1 { font-size: 1.4em; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.decision { padding: 0.6em 1em; border-radius: 4px; background: #eef3fb; }
.closed { padding: 0.6em 1em; border-radius: 4px; background: #f3f3f3; }
.error { padding: 0.6em 1em; border-radius: 4px; background: #fdecea; }
form { margin-top: 1.5em; }
label { display: block; font-weight: bold; margin-bottom: 0.3em; }
textarea { width: 100%; box-sizing: border-box; min-height: 6em; font: inherit; }
.buttons { margin-top: 1em; display: flex; gap: 1em; }
button { font: inherit; font-weight: bold; padding: 0.5em 1.6em; border: 0; border-radius: 4px; color: #fff; cursor: pointer; }
button.approve { background: #1f7a36; }
button.reject { background: #b3261e; }
button.request-changes { background: #8a5a00; }
.report-link { font-weight: bold; }
`;

function layout(title: string, body: string, nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${PAGE_CSS}${SUMMARY_CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Formats an ISO-8601 time as `YYYY-MM-DD HH:MM UTC`, or returns the input unchanged when it is not a time. */
export function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) {
    return iso;
  }
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface ReviewPageInput {
  status: ProjectStatus;
  claims: ApprovalClaims;
  /** The summary of the token's gate and round, when the workflow has one. */
  review?: ReviewSummary;
  /** The stakeholder's record for this gate and round, when the workflow has one. */
  record?: ApprovalRecord;
  /** Whether the token's gate and round are still waiting for decisions. */
  open: boolean;
  /** Address of the project's cost report for the same token, relative to the page or absolute. */
  reportHref?: string;
  nonce: string;
}

/**
 * Renders the review page behind the link: key figures, facts, current
 * decision, the link to the cost report, the summary and, while the round
 * is open, the form.
 */
export function renderReviewPage(input: ReviewPageInput): string {
  const { status, claims, review, record } = input;
  const label = GATE_LABELS[claims.gate];
  const title = `Review the ${label} of ${status.name}`;
  const parts = [`<h1>${escapeHtml(title)}</h1>`];
  if (review?.keyFigures && review.keyFigures.length > 0) {
    parts.push(renderKeyFiguresHtml(review.keyFigures));
  }
  parts.push(renderFacts(status, claims));

  parts.push(renderCurrentDecision(record));
  if (input.reportHref) {
    parts.push(`<p><a class="report-link" href="${escapeHtml(input.reportHref)}">Full cost report with charts</a></p>`);
  }

  if (review) {
    parts.push(renderSummaryHtml(review, { keyFigures: false }));
  } else {
    parts.push(
      `<p class="closed">The workflow has no summary for round ${claims.round} of this review. ` +
        `Ask the project owner (${escapeHtml(status.owner)}) before deciding.</p>`,
    );
  }

  if (input.open) {
    // Changes can be requested before the benchmark only, so the deployment review offers approve and reject.
    parts.push(renderForm(claims.gate !== 'deployment'));
  } else {
    parts.push(
      `<p class="closed">Round ${claims.round} of the ${escapeHtml(label)} review is closed, so this link ` +
        `no longer records decisions. The project is in phase <strong>${escapeHtml(status.phase)}</strong>.</p>`,
    );
  }
  return layout(title, parts.join('\n'), input.nonce);
}

function renderFacts(status: ProjectStatus, claims: ApprovalClaims): string {
  const facts: [string, string][] = [
    ['Project', `${status.name} (${status.projectId})`],
    ['Review', `${GATE_LABELS[claims.gate]} (gate ${claims.gate})`],
    ['Round', String(claims.round)],
    ['Phase', status.phase],
    ['Your address', claims.email],
    ['Link valid until', formatTime(new Date(claims.expiresAt * 1000).toISOString())],
  ];
  const rows = facts.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`);
  return `<dl class="facts">\n${rows.join('\n')}\n</dl>`;
}

function renderCurrentDecision(record: ApprovalRecord | undefined): string {
  if (!record || record.decision === '') {
    return `<p class="decision">You have not decided yet.</p>`;
  }
  const when = record.at ? ` on ${escapeHtml(formatTime(record.at))}` : '';
  const comment = record.comment ? ` with the comment: “${escapeHtml(record.comment)}”` : '';
  return `<p class="decision">Your recorded decision: <strong>${escapeHtml(DECISION_LABELS[record.decision])}</strong>${when}${comment}</p>`;
}

/**
 * Renders the decision form. It has no action attribute, so it posts to the
 * page's own URL. That keeps the token in the path and works behind a proxy
 * that adds a path prefix.
 */
function renderForm(changesAllowed: boolean): string {
  const label = changesAllowed ? 'Comment (optional to approve or reject; required to request changes)' : 'Comment (optional)';
  const requestChanges = changesAllowed
    ? '\n<button type="submit" class="request-changes" name="decision" value="request-changes">Request changes</button>'
    : '';
  return `<form method="post">
<label for="comment">${label}</label>
<textarea id="comment" name="comment" maxlength="${MAX_COMMENT_LENGTH}"></textarea>
<div class="buttons">
<button type="submit" class="approve" name="decision" value="approved">Approve</button>${requestChanges}
<button type="submit" class="reject" name="decision" value="rejected">Reject</button>
</div>
</form>`;
}

/** Verb of the result page for each decision; the document's name follows it. */
const RESULT_VERBS: Record<Decision, string> = { approved: 'approved', rejected: 'rejected', 'request-changes': 'requested changes to' };

export interface ResultPageInput {
  projectName: string;
  claims: ApprovalClaims;
  result: DecideResult;
  nonce: string;
}

/** Renders the page shown after the workflow accepted a decision. */
export function renderResultPage(input: ResultPageInput): string {
  const { projectName, claims, result } = input;
  const title = 'Decision recorded';
  const verb = RESULT_VERBS[result.decision];
  const body = [
    `<h1>${title}</h1>`,
    `<p class="decision">You <strong>${verb}</strong> the ${escapeHtml(GATE_LABELS[result.gate])} of ` +
      `<strong>${escapeHtml(projectName)}</strong> (round ${claims.round}) on ${escapeHtml(formatTime(result.at))}.</p>`,
    `<p>The project is now in phase <strong>${escapeHtml(result.phase)}</strong>. You can close this page.</p>`,
  ];
  return layout(title, body.join('\n'), input.nonce);
}

/** Renders an error page. The message is plain text and is escaped. */
export function renderMessagePage(title: string, message: string, nonce: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p class="error">${escapeHtml(message)}</p>`, nonce);
}
