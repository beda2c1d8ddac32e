/**
 * The cost report behind `GET /report/<token>` on the real approval server:
 * served for a valid approval token with its charts and a hash-based
 * script policy, 403 for any invalid token, read-only, and never logged.
 */
import { createHash } from 'node:crypto';
import { approvalLink, reportLink } from '../../client/approvals/server';
import { CHART_IDS } from '../../client/report';
import { FakeBackend, NOW, postForm, reportStatus, type RunningServer, startServer } from './fixtures';

function reportUrl(running: RunningServer, token: string): string {
  return `${running.baseUrl}/report/${token}`;
}

function tamperedTokens(token: string): string[] {
  const [payload, signature] = token.split('.');
  const otherProject = Buffer.from(
    Buffer.from(payload, 'base64url').toString('utf8').replace('"p":"image-classifier"', '"p":"other-project"'),
  ).toString('base64url');
  const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
  return [`${otherProject}.${signature}`, `${payload}.${flipped}`, 'not-a-token'];
}

describe('cost report route', () => {
  let running: RunningServer;

  afterEach(async () => {
    await running.close();
  });

  test('valid token serves report charts', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });

    const response = await fetch(reportUrl(running, running.token()));
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('<h1>Cost report: Image classifier (image-classifier)</h1>');
    for (const id of [CHART_IDS.spend, CHART_IDS.breakdown, CHART_IDS.costVsDuration]) {
      expect(html).toContain(`<canvas id="${id}"`);
    }
    expect(html).toMatch(/<script>\/\*!\n \* Chart\.js v4/);
    expect(html).toContain('image-classifier-bench-1');
    expect(running.backend.getStatusCalls).toEqual(['image-classifier']);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('policy allows only page scripts', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });

    const response = await fetch(reportUrl(running, running.token()));
    const html = await response.text();
    const policy = response.headers.get('content-security-policy') ?? '';

    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1]);
    const expected = scripts.map((script) => `'sha256-${createHash('sha256').update(script, 'utf8').digest('base64')}'`);
    expect(scripts).toHaveLength(2);
    expect(policy).toContain(`script-src ${expected.join(' ')};`);
    expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(policy).toMatch(/^default-src 'none';/);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  test('tampered report token returns 403', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });

    for (const bad of tamperedTokens(running.token())) {
      const response = await fetch(reportUrl(running, bad));

      expect(response.status).toBe(403);
      expect(await response.text()).not.toContain('<canvas');
    }
    expect(running.backend.getStatusCalls).toHaveLength(0);
  });

  test('expired report token returns 403', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });
    const token = running.token({ expiresAt: Math.floor(NOW.getTime() / 1000) - 60 });

    const response = await fetch(reportUrl(running, token));
    const html = await response.text();

    expect(response.status).toBe(403);
    expect(html).toContain('Link expired');
    expect(html).toContain('expired on 2029-12-31T23:59:00.000Z');
    expect(running.backend.getStatusCalls).toHaveLength(0);
  });

  test('report accepts no post', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });

    const response = await postForm(reportUrl(running, running.token()), { decision: 'approved' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('review page links the report', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()), basePath: '/mlops' });
    const token = running.token({ gate: 'deployment' });
    const pageUrl = running.pageUrl(token);

    const html = await (await fetch(pageUrl)).text();
    const href = /<a class="report-link" href="([^"]+)">Full cost report with charts<\/a>/.exec(html)?.[1];

    expect(href).toBe(`../report/${token}`);
    const resolved = new URL(href!, pageUrl).href;
    expect(resolved).toBe(`${running.baseUrl}/report/${token}`);
    expect((await fetch(resolved)).status).toBe(200);
  });

  test('report logs never contain token', async () => {
    const backend = new FakeBackend(reportStatus());
    running = await startServer({ backend });
    const token = running.token();
    const expiredToken = running.token({ expiresAt: Math.floor(NOW.getTime() / 1000) - 1 });

    await fetch(reportUrl(running, token));
    await fetch(reportUrl(running, `${token}x`));
    await fetch(reportUrl(running, expiredToken));
    backend.getStatusError = new Error(`status failed for ${reportUrl(running, token)}`);
    await fetch(reportUrl(running, token));

    const text = running.log.text;
    for (const secret of [token, expiredToken, ...token.split('.'), ...expiredToken.split('.')]) {
      expect(text).not.toContain(secret);
    }
    const requests = running.log.records().filter((record) => record.msg === 'approval server request');
    expect(requests.map((record) => [record.route, record.status])).toEqual([
      ['/report/:token', 200],
      ['/report/:token', 403],
      ['/report/:token', 403],
      ['/report/:token', 502],
    ]);
    expect(running.log.records().some((record) => record.msg === 'approval backend call failed')).toBe(true);
    expect(requests[0]).toMatchObject({ projectId: 'image-classifier', gate: 'cost', round: 1 });
    expect(requests[2]).toMatchObject({ projectId: 'image-classifier', gate: 'cost', round: 1 });
  });
});

describe('report link', () => {
  test('report link shares approval token', () => {
    expect(reportLink('https://approvals.example.com/', 'abc.def')).toBe('https://approvals.example.com/report/abc.def');
    expect(reportLink('https://example.com/mlops', 'abc.def')).toBe('https://example.com/mlops/report/abc.def');
    expect(approvalLink('https://example.com/mlops', 'abc.def')).toBe('https://example.com/mlops/approvals/abc.def');
    expect(() => reportLink('ftp://example.com', 'abc.def')).toThrow(/must be http or https/);
  });
});
