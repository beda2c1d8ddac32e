import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { createActivities } from '../../activities';
import { createMailer, isPermanentMailError, type ApprovalRequest } from '../../activities/mail';
import type { ComputeProvider } from '../../activities/provider/types';
import { approvalLink, reportLink } from '../../client/approvals/server';
import { signApprovalToken } from '../../client/approvals/tokens';
import { createLogger } from '../../client/logger';
import { CHART_IDS } from '../../client/report';
import { FakeBackend, NOW, claimsFor, costSummary, PROJECT_ID, reportStatus, STAKEHOLDER, startServer } from '../approvals/fixtures';
import { makeSpec } from '../domain/fixtures';

/** A real-length link: long lines are where quoted-printable soft breaks could cut it. */
const TOKEN = signApprovalToken(randomBytes(32), claimsFor());
const LINK = approvalLink('https://approvals.example.com', TOKEN);
const REPORT_LINK = reportLink('https://approvals.example.com', TOKEN);

const KEY_FIGURES = [
  { label: 'Over budget', value: 'Running cost per month is estimated at $900.00, above the monthly budget of $800.00.', warning: true },
  { label: 'Budget', value: '$2,000.00 in total, $800.00 per month, at most $100.00 per training job' },
  { label: 'Estimate per month', value: '$900.00, above the monthly budget of $800.00', warning: true },
];

function approvalRequest(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    to: STAKEHOLDER,
    projectName: 'Image classifier',
    projectId: PROJECT_ID,
    gate: 'cost',
    round: 1,
    summary: costSummary(),
    link: LINK,
    expiresAt: Date.parse('2030-01-08T00:00:00Z') / 1000,
    ...overrides,
  };
}

interface Received {
  envelopeTo: string[];
  raw: Buffer;
}

/** Starts a real SMTP server on 127.0.0.1 that keeps every message and rejects mail to blocked@example.com with 550. */
async function startSmtpServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (address.address === 'blocked@example.com') {
        const error = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
        callback(error);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({ envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function addressOf(parsed: ParsedMail): { name: string; address?: string } {
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  return to!.value[0];
}

describe('mailer over SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let stateDir: string;

  beforeEach(async () => {
    smtp = await startSmtpServer();
    stateDir = await mkdtemp(join(tmpdir(), 'mlops-mail-'));
  });

  afterEach(async () => {
    await smtp.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  test('approval request carries link and summary', async () => {
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, from: 'mlops <mlops@example.com>', env: {} });

    const sent = await mailer.sendApprovalRequest(approvalRequest());
    mailer.close();

    expect(mailer.transport).toBe('smtp');
    expect(sent.transport).toBe('smtp');
    expect(sent.outboxPath).toBeUndefined();
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].envelopeTo).toEqual([STAKEHOLDER.email]);
    const parsed = await simpleParser(smtp.received[0].raw);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.subject).toBe('[mlops] Approve cost estimate for Image classifier (round 1)');
    expect(addressOf(parsed)).toEqual({ name: STAKEHOLDER.name, address: STAKEHOLDER.email });
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.text!.split('\n')).toContain(LINK);
    expect(parsed.text).toContain('Cost estimate for Image classifier');
    expect(parsed.text).toContain('Storage and data transfer are not included.');
    expect(parsed.text).toMatch(/Total\s+\$80\.80/);
    expect(parsed.text).toContain('valid until 2030-01-08 00:00 UTC');
    expect(parsed.html).toContain(`href="${LINK}"`);
    expect(parsed.html).toContain('<td>$80.80</td>');
  });

  test('key figures lead both parts', async () => {
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, env: {} });

    await mailer.sendApprovalRequest(approvalRequest({ summary: { ...costSummary(), keyFigures: KEY_FIGURES }, reportLink: REPORT_LINK }));
    mailer.close();

    const parsed = await simpleParser(smtp.received[0].raw);
    const text = parsed.text!;
    const html = parsed.html as string;
    expect(text).toContain('! Over budget         Running cost per month is estimated at $900.00, above the monthly budget of $800.00.');
    expect(text).toContain('  Budget              $2,000.00 in total, $800.00 per month, at most $100.00 per training job');
    expect(text.indexOf('Key figures')).toBeLessThan(text.indexOf(LINK));
    expect(text.indexOf('Key figures')).toBeLessThan(text.indexOf('Cost estimate for Image classifier'));
    expect(text.match(/Key figures/g)).toHaveLength(1);
    expect(html).toContain('<tr class="warning"><th scope="row">Estimate per month</th><td>$900.00, above the monthly budget of $800.00</td></tr>');
    expect(html.indexOf('class="key-figures"')).toBeLessThan(html.indexOf(`href="${LINK}"`));
    expect(html.match(/class="key-figures"/g)).toHaveLength(1);
  });

  test('report link in both parts', async () => {
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, env: {} });

    await mailer.sendApprovalRequest(approvalRequest({ reportLink: REPORT_LINK }));
    mailer.close();

    const parsed = await simpleParser(smtp.received[0].raw);
    const lines = parsed.text!.split('\n');
    expect(lines[lines.indexOf('Full cost report with charts:') + 1]).toBe(REPORT_LINK);
    expect(parsed.html).toContain(`<a href="${REPORT_LINK}">Full cost report with charts</a>`);
    expect(parsed.text).toContain('Both links are personal');
    expect(parsed.text).toContain('approve, reject or request changes');
  });

  test('notice gets subject prefix', async () => {
    const mailer = createMailer({ stateDir, env: { MLOPS_SMTP_URL: smtp.url } });

    await mailer.sendNotice({ to: 'owner@example.com', subject: 'Endpoint stopped after 24 h idle', text: 'No traffic.' });
    await mailer.sendNotice({ to: STAKEHOLDER, subject: '[mlops] Budget 80% used', text: 'Spend $400 of $500.' });
    mailer.close();

    const subjects = await Promise.all(smtp.received.map(async (message) => (await simpleParser(message.raw)).subject));
    expect(subjects).toEqual(['[mlops] Endpoint stopped after 24 h idle', '[mlops] Budget 80% used']);
    expect(smtp.received.map((message) => message.envelopeTo)).toEqual([['owner@example.com'], [STAKEHOLDER.email]]);
    expect((await simpleParser(smtp.received[0].raw)).from?.value[0].address).toBe('mlops@localhost');
  });

  test('rejected recipient is permanent error', async () => {
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, env: {} });

    const error = await mailer
      .sendNotice({ to: 'blocked@example.com', subject: 'x', text: 'y' })
      .then(() => undefined, (caught: unknown) => caught);
    mailer.close();

    expect(error).toBeInstanceOf(Error);
    expect(isPermanentMailError(error)).toBe(true);
    expect(isPermanentMailError(Object.assign(new Error('greylisted'), { responseCode: 451 }))).toBe(false);
    expect(isPermanentMailError(Object.assign(new Error('refused'), { code: 'ECONNECTION' }))).toBe(false);
  });

  test('project name cannot inject headers', async () => {
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, env: {} });

    await mailer.sendApprovalRequest(approvalRequest({ projectName: 'Evil\r\nBcc: mallory@example.com' }));
    mailer.close();

    const parsed = await simpleParser(smtp.received[0].raw);
    expect(parsed.bcc).toBeUndefined();
    expect(smtp.received[0].envelopeTo).toEqual([STAKEHOLDER.email]);
    expect(parsed.subject).toBe('[mlops] Approve cost estimate for Evil Bcc: mallory@example.com (round 1)');
  });
});

describe('mailer outbox', () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'mlops-outbox-'));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  test('outbox eml contains the link', async () => {
    const mailer = createMailer({ stateDir, env: {} });

    const sent = await mailer.sendApprovalRequest(approvalRequest());

    expect(mailer.transport).toBe('outbox');
    expect(sent.transport).toBe('outbox');
    expect(sent.outboxPath).toBe(join(stateDir, 'outbox', basename(sent.outboxPath!)));
    expect(basename(sent.outboxPath!)).toMatch(/^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{8}\.eml$/);
    expect((await stat(sent.outboxPath!)).mode & 0o777).toBe(0o600);
    const raw = await readFile(sent.outboxPath!);
    expect(raw.toString('latin1')).toContain('\r\n');
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(sent.messageId);
    expect(parsed.subject).toBe('[mlops] Approve cost estimate for Image classifier (round 1)');
    expect(addressOf(parsed).address).toBe(STAKEHOLDER.email);
    expect(parsed.text!.split('\n')).toContain(LINK);
    expect(parsed.html).toContain(`href="${LINK}"`);
  });

  test('outbox names sort by send order', async () => {
    let tick = Date.parse('2030-01-01T00:00:00Z');
    const mailer = createMailer({ stateDir, env: {}, now: () => new Date(tick) });

    const paths: string[] = [];
    for (const [index, advance] of [0, 0, 5, 0, 1000].entries()) {
      tick += advance;
      const sent = await mailer.sendNotice({ to: 'owner@example.com', subject: `notice ${index}`, text: 'x' });
      paths.push(basename(sent.outboxPath!));
    }

    const listed = await readdir(join(stateDir, 'outbox'));
    expect(listed).toEqual([...paths].sort());
    expect([...listed].sort()).toEqual(paths);
  });

  test('smtp url from environment wins', () => {
    const mailer = createMailer({ stateDir, env: { MLOPS_SMTP_URL: 'smtp://127.0.0.1:2525' } });

    expect(mailer.transport).toBe('smtp');
    mailer.close();
  });

  test('invalid smtp url hides password', () => {
    let message = '';
    try {
      createMailer({ stateDir, smtpUrl: 'http://user:hunter2@127.0.0.1', env: {} });
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/not an smtp:\/\/ or smtps:\/\/ URL/);
    expect(message).not.toContain('hunter2');
  });

  test('non-http link is rejected', async () => {
    const mailer = createMailer({ stateDir, env: {} });

    await expect(mailer.sendApprovalRequest(approvalRequest({ link: 'javascript:alert(1)' }))).rejects.toThrow(
      /approval link is a javascript: URL; expected an http or https URL/,
    );
    await expect(mailer.sendApprovalRequest(approvalRequest({ reportLink: 'data:text/html,x' }))).rejects.toThrow(
      /report link is a data: URL; expected an http or https URL built with reportLink\(\)/,
    );
    await expect(readdir(join(stateDir, 'outbox'))).rejects.toThrow(/ENOENT/);
  });
});

describe('review e-mail from the activities', () => {
  test('mailed report link opens charts', async () => {
    const smtp = await startSmtpServer();
    const approvals = await startServer({ backend: new FakeBackend(reportStatus()) });
    const stateDir = await mkdtemp(join(tmpdir(), 'mlops-review-mail-'));
    const mailer = createMailer({ stateDir, smtpUrl: smtp.url, env: {} });
    try {
      const activities = createActivities({
        // Building and mailing a review touches no compute provider.
        provider: {} as ComputeProvider,
        mailer,
        secret: approvals.secret,
        publicUrl: approvals.baseUrl,
        logger: createLogger('test', { write: () => undefined }),
        now: () => NOW,
      });
      // A $40 monthly budget against the $85.69 estimate of the fixture spec.
      const spec = makeSpec((raw) => {
        raw.budgets.monthlyUsd = 40;
      });
      const summary = await activities.buildReview({ gate: 'cost', round: 1, spec, context: {} });

      await activities.requestApprovals({
        projectId: PROJECT_ID,
        projectName: 'Image classifier',
        gate: 'cost',
        round: 1,
        approvers: [{ ...STAKEHOLDER, role: 'business' }],
        summary,
      });

      const parsed = await simpleParser(smtp.received[0].raw);
      const text = parsed.text!;
      expect(text).toMatch(/^! Over budget +Running cost per month is estimated at \$85\.69, above the monthly budget of \$40\.00\.$/m);
      expect(text).toMatch(/^ {2}Recommended inference option {2}real-time, 1 × ml\.m5\.large: \$83\.95 per month$/m);
      expect(parsed.html).toContain('<tr class="warning"><th scope="row">Over budget</th>');

      const lines = text.split('\n');
      const link = lines[lines.indexOf('Open this link to read the summary and approve, reject or request changes:') + 1];
      const report = lines[lines.indexOf('Full cost report with charts:') + 1];
      expect(report.replace('/report/', '/approvals/')).toBe(link);
      expect(parsed.html).toContain(`<a href="${report}">Full cost report with charts</a>`);

      const response = await fetch(report);
      const html = await response.text();
      expect(response.status).toBe(200);
      for (const id of [CHART_IDS.spend, CHART_IDS.breakdown, CHART_IDS.costVsDuration]) {
        expect(html).toContain(`<canvas id="${id}"`);
      }
      expect((await fetch(`${report.slice(0, -2)}xx`)).status).toBe(403);
      expect(approvals.backend.decideCalls).toHaveLength(0);
    } finally {
      mailer.close();
      await approvals.close();
      await smtp.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});
