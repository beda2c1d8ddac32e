import { createLogger, scrubApprovalTokens } from '../../client/logger';
import { LogCapture } from './fixtures';

const TOKEN = 'eyJ2IjoxfQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

describe('structured logger', () => {
  test('token field is redacted', () => {
    const capture = new LogCapture();

    createLogger('test', capture).info({ token: TOKEN, nested: { token: TOKEN } }, 'issued');

    expect(capture.text).not.toContain(TOKEN);
    const [record] = capture.records();
    expect(record.token).toBe('[Redacted]');
    expect((record.nested as Record<string, unknown>).token).toBe('[Redacted]');
  });

  test('url and path fields keep shape', () => {
    const capture = new LogCapture();

    createLogger('test', capture).info(
      {
        url: `https://approvals.example.com/approvals/${TOKEN}?x=1`,
        path: `/approvals/${TOKEN}`,
        req: { url: `/decide?t=${TOKEN}&lang=en` },
      },
      'request',
    );

    expect(capture.text).not.toContain(TOKEN);
    const [record] = capture.records();
    expect(record.url).toBe('https://approvals.example.com/approvals/[Redacted]?x=1');
    expect(record.path).toBe('/approvals/[Redacted]');
    expect((record.req as Record<string, unknown>).url).toBe('/decide?t=[Redacted]&lang=en');
  });

  test('message text is scrubbed', () => {
    const capture = new LogCapture();

    createLogger('test', capture).warn(`could not open /approvals/${TOKEN} for ?t=${TOKEN}`);

    expect(capture.text).not.toContain(TOKEN);
    expect(capture.records()[0].msg).toBe('could not open /approvals/[Redacted] for ?t=[Redacted]');
  });

  test('error message and stack scrubbed', () => {
    const capture = new LogCapture();

    createLogger('test', capture).error({ err: new Error(`fetch /approvals/${TOKEN} failed`) }, 'failed');

    expect(capture.text).not.toContain(TOKEN);
    const err = capture.records()[0].err as Record<string, unknown>;
    expect(err.message).toBe('fetch /approvals/[Redacted] failed');
    expect(err.stack).toContain('fetch /approvals/[Redacted] failed');
  });

  test('child bindings are redacted', () => {
    const capture = new LogCapture();

    createLogger('test', capture).child({ token: TOKEN }).info('bound');

    expect(capture.text).not.toContain(TOKEN);
  });

  test('report link token is scrubbed', () => {
    expect(scrubApprovalTokens(`GET https://approvals.example.com/mlops/report/${TOKEN} failed`)).toBe(
      'GET https://approvals.example.com/mlops/report/[Redacted] failed',
    );
  });

  test('scrub leaves other text alone', () => {
    expect(scrubApprovalTokens('/healthz?target=1&t2=x')).toBe('/healthz?target=1&t2=x');
  });

  test('invalid log level named', () => {
    const previous = process.env.MLOPS_LOG_LEVEL;
    process.env.MLOPS_LOG_LEVEL = 'verbose';
    try {
      expect(() => createLogger('test', new LogCapture())).toThrow(/MLOPS_LOG_LEVEL=verbose is not a log level/);
    } finally {
      if (previous === undefined) {
        delete process.env.MLOPS_LOG_LEVEL;
      } else {
        process.env.MLOPS_LOG_LEVEL = previous;
      }
    }
  });
});
