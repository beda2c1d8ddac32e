/**
 * The approval web server: a stakeholder opens `<publicUrl>/approvals/<token>`
 * from the e-mail, reads the review summary and posts Approve, Reject or
 * Request changes. `<publicUrl>/report/<token>` serves the project's cost
 * report with charts for the same token.
 * GET only reads, because mail scanners and link previews fetch links too.
 * The POST is the one request that sends a decision, as a Temporal Update
 * through the ApprovalBackend, and its HTTP status reflects whether the
 * workflow's update validator accepted it.
 *
 * The token is the capability. It sits in the path, is never logged, and
 * every response carries headers that keep it out of caches, Referer
 * headers and frames.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Decision, ProjectStatus } from '../../domain/status';
import type { Logger } from '../logger';
import { type ApprovalBackend, DecisionRejectedError, ProjectEndedError, ProjectNotFoundError } from './backend';
import { DECISIONS, MAX_COMMENT_LENGTH, renderMessagePage, renderResultPage, renderReviewPage } from './pages';
import { renderReportPage } from './report-page';
import { type ApprovalClaims, ApprovalTokenError, ExpiredTokenError, verifyApprovalToken } from './tokens';

export interface ApprovalServerOptions {
  backend: ApprovalBackend;
  /** HMAC secret the links were signed with (see loadOrCreateSecret). */
  secret: Buffer;
  /**
   * Base URL stakeholders reach the server at, such as `https://approvals.example.com/mlops`.
   * Its path, if any, is the prefix the server serves under.
   */
  publicUrl: string;
  logger: Logger;
  now?: () => Date;
  /** Largest accepted POST body in bytes; the default fits the longest comment several times over. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

const APPROVAL_SEGMENT = '/approvals/';
const REPORT_SEGMENT = '/report/';
const HEALTH_SEGMENT = '/healthz';
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const DECISION_CHANNEL = 'e-mail link';
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** Builds the link mailed to a stakeholder. */
export function approvalLink(publicUrl: string, token: string): string {
  return `${parsePublicUrl(publicUrl).href.replace(/\/+$/, '')}${APPROVAL_SEGMENT}${token}`;
}

/**
 * Builds the link to the project's cost report for the same approval token.
 * It carries the token, so it is as personal as the approval link.
 */
export function reportLink(publicUrl: string, token: string): string {
  return `${parsePublicUrl(publicUrl).href.replace(/\/+$/, '')}${REPORT_SEGMENT}${token}`;
}

/** Returns the token of `pathname` when it is `<prefix><token>` with a non-empty token and no further slash. */
function tokenIn(pathname: string, prefix: string): string | undefined {
  if (!pathname.startsWith(prefix) || pathname.length === prefix.length || pathname.indexOf('/', prefix.length) !== -1) {
    return undefined;
  }
  return pathname.slice(prefix.length);
}

function parsePublicUrl(publicUrl: string): URL {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch (error) {
    throw new Error(`public URL ${JSON.stringify(publicUrl)} is not a URL; expected one like https://approvals.example.com`, {
      cause: error,
    });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new Error(`public URL ${publicUrl} must be http or https without a query or fragment`);
  }
  return url;
}

/** Fields of one request's log line. It never contains the token. */
interface RequestLog {
  route: string;
  projectId?: string;
  gate?: string;
  round?: number;
  /** Why the request failed, as the page told the user; absent on success. */
  reason?: string;
}

/** An HTTP error response: status, page title and plain-text message for the user. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A backend call failed for a reason other than rejection or a missing project. */
class BackendUnavailableError extends Error {
  constructor(readonly operation: 'getStatus' | 'decide', options: { cause: unknown }) {
    super(`approval backend ${operation} failed`, options);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * Creates the server without listening; the caller calls `listen`. Routes,
 * all under the path of `publicUrl`:
 * - `GET /approvals/<token>`: the review page (HEAD too).
 * - `POST /approvals/<token>`: form-urlencoded `decision=approved|rejected|request-changes` and a
 *   `comment`, which `request-changes` requires.
 * - `GET /report/<token>`: the project's cost report with charts (HEAD too). Any invalid token, expired
 *   included, gets 403.
 * - `GET /healthz`: 200 while the process runs.
 */
export function createApprovalServer(options: ApprovalServerOptions): Server {
  const publicUrl = parsePublicUrl(options.publicUrl);
  if (publicUrl.protocol === 'http:' && !LOOPBACK_HOSTS.includes(publicUrl.hostname)) {
    options.logger.warn(
      { publicUrl: publicUrl.href },
      'approval links use plain http, so tokens cross the network unencrypted; serve them through HTTPS',
    );
  }
  const basePath = publicUrl.pathname.replace(/\/+$/, '');
  const handler = new RequestHandler(options, basePath);
  const server = createServer((req, res) => {
    void handler.handle(req, res);
  });
  // Slow or stalled clients must not hold sockets open for the default five minutes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

class RequestHandler {
  private readonly now: () => Date;
  private readonly maxBodyBytes: number;

  constructor(
    private readonly options: ApprovalServerOptions,
    private readonly basePath: string,
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const log: RequestLog = { route: 'unmatched' };
    const nonce = randomBytes(16).toString('base64');
    setSecurityHeaders(res, nonce);
    res.on('close', () => {
      this.options.logger.info(
        {
          method: req.method,
          route: log.route,
          status: res.statusCode,
          projectId: log.projectId,
          gate: log.gate,
          round: log.round,
          reason: log.reason,
          completed: res.writableFinished,
          durationMs: Number((process.hrtime.bigint() - started) / 1_000_000n),
        },
        'approval server request',
      );
    });

    try {
      await this.route(req, res, log, nonce);
    } catch (error) {
      this.sendError(res, error, log, nonce, req.method);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, log: RequestLog, nonce: string): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://approval-server.invalid').pathname;
    const method = req.method ?? 'GET';

    if (pathname === `${this.basePath}${HEALTH_SEGMENT}`) {
      log.route = HEALTH_SEGMENT;
      requireMethod(method, ['GET', 'HEAD']);
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }

    const reportToken = tokenIn(pathname, `${this.basePath}${REPORT_SEGMENT}`);
    if (reportToken !== undefined) {
      log.route = `${REPORT_SEGMENT}:token`;
      requireMethod(method, ['GET', 'HEAD']);
      const claims = this.verifyReportToken(reportToken, log);
      Object.assign(log, { projectId: claims.projectId, gate: claims.gate, round: claims.round });
      await this.showReport(res, claims);
      return;
    }

    const token = tokenIn(pathname, `${this.basePath}${APPROVAL_SEGMENT}`);
    if (token === undefined) {
      throw new HttpError(404, 'Page not found', 'There is no page at this address. Open the link from your e-mail.');
    }
    log.route = `${APPROVAL_SEGMENT}:token`;
    requireMethod(method, ['GET', 'HEAD', 'POST']);

    if (method === 'POST') {
      rejectCrossSitePost(req);
    }
    const claims = verifyApprovalToken(this.options.secret, token, this.now());
    log.projectId = claims.projectId;
    log.gate = claims.gate;
    log.round = claims.round;

    if (method === 'POST') {
      await this.decide(req, res, claims, nonce);
    } else {
      await this.showReview(res, claims, token, nonce);
    }
  }

  private async showReview(res: ServerResponse, claims: ApprovalClaims, token: string, nonce: string): Promise<void> {
    const status = await this.getStatus(claims.projectId);
    const review = status.reviews.find((summary) => summary.gate === claims.gate && summary.round === claims.round);
    const record = status.approvals.find(
      (approval) =>
        approval.gate === claims.gate &&
        approval.round === claims.round &&
        approval.email.toLowerCase() === claims.email.toLowerCase(),
    );
    // Relative to the page at <base>/approvals/<token>, so it works behind a proxy that adds a path prefix.
    const reportHref = `..${REPORT_SEGMENT}${token}`;
    const html = renderReviewPage({ status, claims, review, record, open: isRoundOpen(status, claims), reportHref, nonce });
    send(res, 200, 'text/html; charset=utf-8', html);
  }

  /**
   * Verifies the token of a report link. Every failure is 403, expiry
   * included: the report decides nothing, so there is no round to explain.
   */
  private verifyReportToken(token: string, log: RequestLog): ApprovalClaims {
    try {
      return verifyApprovalToken(this.options.secret, token, this.now());
    } catch (error) {
      if (!(error instanceof ExpiredTokenError)) throw error;
      Object.assign(log, { projectId: error.claims.projectId, gate: error.claims.gate, round: error.claims.round });
      throw new HttpError(
        403,
        'Link expired',
        `This report link expired on ${new Date(error.claims.expiresAt * 1000).toISOString()}. ` +
          `Open the link of a newer e-mail for project ${error.claims.projectId}, or ask the project owner for the report.`,
      );
    }
  }

  private async showReport(res: ServerResponse, claims: ApprovalClaims): Promise<void> {
    const status = await this.getStatus(claims.projectId);
    const page = renderReportPage(status, this.now());
    res.setHeader('Content-Security-Policy', page.contentSecurityPolicy);
    send(res, 200, 'text/html; charset=utf-8', page.html);
  }

  private async decide(req: IncomingMessage, res: ServerResponse, claims: ApprovalClaims, nonce: string): Promise<void> {
    const form = await readForm(req, this.maxBodyBytes);
    const decision = form.get('decision');
    if (!isDecision(decision)) {
      const sent = decision === null ? 'The form has no decision' : `The form sent decision ${JSON.stringify(decision)}`;
      throw new HttpError(
        400,
        'Invalid decision',
        `${sent}; expected one of ${DECISIONS.map((value) => `"${value}"`).join(', ')}. ` +
          'Use the Approve, Reject or Request changes button on the review page.',
      );
    }
    const comment = (form.get('comment') ?? '').trim();
    if (comment.length > MAX_COMMENT_LENGTH) {
      throw new HttpError(
        400,
        'Comment too long',
        `The comment has ${comment.length} characters; the maximum is ${MAX_COMMENT_LENGTH}. Shorten it and send again.`,
      );
    }
    if (decision === 'request-changes' && comment === '') {
      throw new HttpError(
        400,
        'Comment required',
        'A change request needs a comment that says what to change. Go back, write it in the comment box and click Request changes again.',
      );
    }

    const status = await this.getStatus(claims.projectId);
    let result;
    try {
      result = await this.options.backend.decide(claims.projectId, {
        gate: claims.gate,
        round: claims.round,
        email: claims.email,
        decision,
        ...(comment === '' ? {} : { comment }),
        channel: DECISION_CHANNEL,
      });
    } catch (error) {
      throw classifyBackendError('decide', error);
    }
    send(res, 200, 'text/html; charset=utf-8', renderResultPage({ projectName: status.name, claims, result, nonce }));
  }

  private async getStatus(projectId: string): Promise<ProjectStatus> {
    try {
      return await this.options.backend.getStatus(projectId);
    } catch (error) {
      throw classifyBackendError('getStatus', error);
    }
  }

  private sendError(res: ServerResponse, error: unknown, log: RequestLog, nonce: string, method?: string): void {
    const response = this.errorResponse(error, log, method);
    log.reason = response.message;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const [name, value] of Object.entries(response.headers)) {
      res.setHeader(name, value);
    }
    send(res, response.status, 'text/html; charset=utf-8', renderMessagePage(response.title, response.message, nonce));
  }

  private errorResponse(error: unknown, log: RequestLog, method?: string): HttpError {
    if (error instanceof HttpError) {
      return error;
    }
    if (error instanceof ExpiredTokenError) {
      log.projectId = error.claims.projectId;
      log.gate = error.claims.gate;
      log.round = error.claims.round;
      return new HttpError(
        410,
        'Link expired',
        `This approval link expired on ${new Date(error.claims.expiresAt * 1000).toISOString()}. ` +
          `Ask the project owner for a new link; they can send one with \`mlops project approve\` ` +
          `for project ${error.claims.projectId}.`,
      );
    }
    if (error instanceof ApprovalTokenError) {
      return new HttpError(
        403,
        'Invalid link',
        'This approval link is not valid: it was changed or cut short, or it was issued by another server. ' +
          'Open the complete link from your e-mail.',
      );
    }
    if (error instanceof ProjectEndedError) {
      return new HttpError(
        410,
        'Project ended',
        `Project ${error.projectId} has ended (phase ${error.phase}), so it takes no more decisions.`,
      );
    }
    if (error instanceof ProjectNotFoundError) {
      return new HttpError(
        404,
        'Project not found',
        `Project ${error.projectId} does not exist or is no longer running, so it takes no decisions.`,
      );
    }
    if (error instanceof DecisionRejectedError) {
      return new HttpError(409, 'Decision not recorded', `The workflow rejected the decision: ${error.message}`);
    }
    if (error instanceof BackendUnavailableError) {
      this.options.logger.error(
        { err: error.cause, operation: error.operation, projectId: log.projectId, gate: log.gate, round: log.round },
        'approval backend call failed',
      );
      const message =
        method === 'POST'
          ? 'The workflow service did not confirm the decision, so it may or may not be recorded. ' +
            'Reload the review page in a few minutes to see your recorded decision, and decide again if it is missing.'
          : 'The workflow service did not answer, so the review cannot be shown. Try again in a few minutes.';
      return new HttpError(502, 'Service unavailable', message);
    }
    this.options.logger.error({ err: error, route: log.route, projectId: log.projectId }, 'approval server error');
    return new HttpError(500, 'Internal error', 'The approval server failed to handle this request. Try again later.');
  }
}

function isDecision(value: string | null): value is Decision {
  return (DECISIONS as readonly (string | null)[]).includes(value);
}

function classifyBackendError(operation: 'getStatus' | 'decide', error: unknown): Error {
  if (error instanceof DecisionRejectedError || error instanceof ProjectNotFoundError) {
    return error;
  }
  return new BackendUnavailableError(operation, { cause: error });
}

/**
 * Checks whether the token's round still takes decisions: its gate is the
 * pending one and no later round of that gate exists. The page hides the
 * form otherwise, but the workflow's validator still decides every POST.
 */
function isRoundOpen(status: ProjectStatus, claims: ApprovalClaims): boolean {
  if (status.pendingGate !== claims.gate) {
    return false;
  }
  const rounds = [
    ...status.reviews.filter((review) => review.gate === claims.gate).map((review) => review.round),
    ...status.approvals.filter((approval) => approval.gate === claims.gate).map((approval) => approval.round),
  ];
  return rounds.every((round) => round <= claims.round);
}

function setSecurityHeaders(res: ServerResponse, nonce: string): void {
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('X-Robots-Tag', 'noindex, nofollow');
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function requireMethod(method: string, allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new HttpError(405, 'Method not allowed', `${method} is not supported here; use ${allowed.join(' or ')}.`, {
      Allow: allowed.join(', '),
    });
  }
}

/**
 * Rejects a form posted from another site, as defense in depth against
 * cross-site request forgery: the token in the URL is already the
 * capability. Browsers mark such posts with Sec-Fetch-Site. Clients without
 * the header (older browsers, scripts) are let through.
 */
function rejectCrossSitePost(req: IncomingMessage): void {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    throw new HttpError(
      403,
      'Form from another site',
      'Decisions are accepted only from the form on the review page. Open the link from your e-mail and decide there.',
    );
  }
}

async function readForm(req: IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== FORM_CONTENT_TYPE) {
    throw new HttpError(
      415,
      'Unsupported form encoding',
      `The request body is ${contentType || 'untyped'}; expected ${FORM_CONTENT_TYPE} as the review page sends it.`,
    );
  }
  const tooLarge = new HttpError(
    413,
    'Form too large',
    `The form is larger than ${maxBytes} bytes. Shorten the comment and send again.`,
    { Connection: 'close' },
  );
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
    throw tooLarge;
  }
  // Plain events rather than for-await: leaving a for-await loop early destroys
  // the request, and with it the socket the 413 response has to go out on.
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve());
    req.once('error', reject);
  });
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
