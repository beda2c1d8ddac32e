/**
 * Outgoing e-mail: approval requests to stakeholders and notices to the
 * project owner. With an SMTP URL the mailer sends through that server.
 * Without one it writes each message as an RFC 822 `.eml` file into
 * `<stateDir>/outbox/`, where `mlops demo` and tests read the links back.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Logger } from '../client/logger';
import { oneLine, renderApprovalRequest, SUBJECT_PREFIX, type ApprovalRequestContent } from './mail-render';

export const DEFAULT_FROM = 'mlops <mlops@localhost>';
export const OUTBOX_DIR = 'outbox';

export interface Recipient {
  name: string;
  email: string;
}

export interface MailerOptions {
  /** State directory of the installation; the outbox is its `outbox/` folder. */
  stateDir: string;
  /** SMTP server URL such as `smtp://user:pass@mail.example.com:587`; defaults to MLOPS_SMTP_URL. */
  smtpUrl?: string;
  /** Sender address; defaults to MLOPS_MAIL_FROM, then to `mlops <mlops@localhost>`. */
  from?: string;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** An approval request: the content the e-mail renders, sent to one stakeholder. */
export interface ApprovalRequest extends Omit<ApprovalRequestContent, 'recipientName'> {
  to: Recipient;
}

export interface Notice {
  to: Recipient | string;
  /** Subject without the `[mlops]` prefix, which is added when missing. */
  subject: string;
  text: string;
}

export interface SentMail {
  /** Message-ID header value, with angle brackets. */
  messageId: string;
  transport: 'smtp' | 'outbox';
  /** Path of the written `.eml` file; set for the outbox transport only. */
  outboxPath?: string;
}

export interface Mailer {
  readonly transport: 'smtp' | 'outbox';
  sendApprovalRequest(request: ApprovalRequest): Promise<SentMail>;
  sendNotice(notice: Notice): Promise<SentMail>;
  /** Closes SMTP connections; the outbox has none. */
  close(): void;
}

/** Creates the mailer; SMTP when `smtpUrl` or MLOPS_SMTP_URL is set, the outbox otherwise. */
export function createMailer(options: MailerOptions): Mailer {
  const env = options.env ?? process.env;
  const smtpUrl = options.smtpUrl ?? nonEmpty(env.MLOPS_SMTP_URL);
  const from = options.from ?? nonEmpty(env.MLOPS_MAIL_FROM) ?? DEFAULT_FROM;
  const deliver = smtpUrl ? smtpDelivery(smtpUrl) : outboxDelivery(join(options.stateDir, OUTBOX_DIR), options.now);
  const transport = smtpUrl ? 'smtp' : 'outbox';
  const logger = options.logger;

  return {
    transport,

    async sendApprovalRequest(request) {
      const content = renderApprovalRequest({ ...request, recipientName: request.to.name });
      const sent = await deliver.send({
        from,
        to: { name: oneLine(request.to.name), address: request.to.email },
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      logger?.info(
        {
          ...sent,
          to: request.to.email,
          projectId: request.projectId,
          gate: request.gate,
          round: request.round,
        },
        'approval request sent',
      );
      return sent;
    },

    async sendNotice(notice) {
      const subject = oneLine(notice.subject);
      const to = typeof notice.to === 'string' ? notice.to : { name: oneLine(notice.to.name), address: notice.to.email };
      const sent = await deliver.send({
        from,
        to,
        subject: subject.startsWith(SUBJECT_PREFIX) ? subject : `${SUBJECT_PREFIX} ${subject}`,
        text: notice.text,
        headers: { 'Auto-Submitted': 'auto-generated' },
      });
      logger?.info({ ...sent, to: typeof to === 'string' ? to : to.address, subject }, 'notice sent');
      return sent;
    },

    close() {
      deliver.close();
    },
  };
}

/**
 * Checks whether a send error will fail again on retry: the SMTP server
 * replied with a 5xx code, or rejected the login or the addresses. Other
 * errors (connection refused, timeouts, 4xx replies) may pass on a later try.
 */
export function isPermanentMailError(error: unknown): boolean {
  const { responseCode, code } = (error ?? {}) as { responseCode?: number; code?: string };
  if (typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600) {
    return true;
  }
  return code === 'EAUTH' || code === 'EENVELOPE';
}

interface Delivery {
  send(message: SendMailOptions): Promise<SentMail>;
  close(): void;
}

function smtpDelivery(smtpUrl: string): Delivery {
  checkSmtpUrl(smtpUrl);
  const transporter = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      const info = await transporter.sendMail(message);
      return { messageId: info.messageId, transport: 'smtp' };
    },
    close() {
      transporter.close();
    },
  };
}

function checkSmtpUrl(smtpUrl: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(smtpUrl).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'smtp:' && protocol !== 'smtps:') {
    // The URL is not echoed because it may carry the SMTP password.
    throw new Error('MLOPS_SMTP_URL (or smtpUrl) is not an smtp:// or smtps:// URL; expected smtp://user:pass@host:587');
  }
}

/**
 * Writes each message to `<outbox>/<time>-<sequence>-<random>.eml` with mode
 * 0600, because the message contains a personal approval link. Names sort by
 * creation time within one process. The file is written under a temporary
 * name and renamed, so a reader never sees half a message.
 */
function outboxDelivery(outboxDir: string, now: () => Date = () => new Date()): Delivery {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  let sequence = 0;
  return {
    async send(message) {
      const info = await transporter.sendMail(message);
      if (!Buffer.isBuffer(info.message)) {
        throw new Error('nodemailer stream transport returned a stream although buffer: true was set');
      }
      await mkdir(outboxDir, { recursive: true, mode: 0o700 });
      sequence += 1;
      const stamp = now().toISOString().replace(/[-:.]/g, '');
      const name = `${stamp}-${String(sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
      const finalPath = join(outboxDir, name);
      const temporaryPath = join(outboxDir, `.${name}.tmp`);
      await writeFile(temporaryPath, info.message, { mode: 0o600, flag: 'wx' });
      await rename(temporaryPath, finalPath);
      return { messageId: info.messageId, transport: 'outbox', outboxPath: finalPath };
    },
    close() {
      transporter.close();
    },
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
