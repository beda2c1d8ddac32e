import { request } from 'node:http';
import { DecisionRejectedError } from '../../client/approvals/backend';
import { approvalLink } from '../../client/approvals/server';
import { FakeBackend, NOW, postForm, projectStatus, type RunningServer, STAKEHOLDER, startServer } from './fixtures';

const EXPECTED_HEADERS: Record<string, RegExp> = {
  'referrer-policy': /^no-referrer$/,
  'cache-control': /^no-store$/,
  'x-content-type-options': /^nosniff$/,
  'content-security-policy': /default-src 'none';.*style-src 'nonce-[A-Za-z0-9+/=]+';.*form-action 'self';.*frame-ancestors 'none'/,
};

function expectSecurityHeaders(response: Response, label: string): void {
  for (const [name, pattern] of Object.entries(EXPECTED_HEADERS)) {
    const value = response.headers.get(name);
    if (value === null || !pattern.test(value)) {
      throw new Error(`${label}: header ${name} is ${JSON.stringify(value)}, expected ${pattern}`);
    }
  }
}

/** Attribute values of real tags and CSS url() targets: everything a browser would load or link to. */
function linkTargets(html: string): string[] {
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
  const attributes = tags.flatMap((tag) =>
    [...tag.matchAll(/\s(?:src|href|action|srcset|poster|data|formaction)\s*=\s*["']?([^"'\s>]*)/gi)].map((match) => match[1]),
  );
  const cssUrls = [...html.matchAll(/url\(\s*["']?([^"')]*)/gi)].map((match) => match[1]);
  return [...attributes, ...cssUrls];
}

describe('approval server', () => {
  let running: RunningServer;

  afterEach(async () => {
    await running.close();
  });

  test('review page shows summary without deciding', async () => {
    running = await startServer();

    const response = await fetch(running.pageUrl(running.token()));
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('Cost estimate for Image classifier');
    expect(html).toContain('Training runs 4 h on ml.p3.2xlarge at $16.00 per hour: $64.00.');
    expect(html).toContain('<td>$80.80</td>');
    expect(html).toContain('Storage and data transfer are not included.');
    expect(html).toContain('Image classifier (image-classifier)');
    expect(html).toContain('You have not decided yet.');
    expect(html).toMatch(/<form method="post">/);
    expect(html).toContain('value="approved"');
    expect(html).toContain('value="rejected"');
    expect(running.backend.decideCalls).toHaveLength(0);
    expect(running.backend.getStatusCalls).toEqual(['image-classifier']);
  });

  test('head request never decides', async () => {
    running = await startServer();

    const response = await fetch(running.pageUrl(running.token()), { method: 'HEAD' });

    expect(response.status).toBe(200);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('review page shows recorded decision', async () => {
    const status = projectStatus();
    Object.assign(status.approvals[0], { decision: 'rejected', comment: 'Too expensive', at: '2029-12-31T12:30:00.000Z' });
    running = await startServer({ backend: new FakeBackend(status) });

    const html = await (await fetch(running.pageUrl(running.token()))).text();

    expect(html).toContain('Your recorded decision: <strong>rejected</strong> on 2029-12-31 12:30 UTC');
    expect(html).toContain('Too expensive');
  });

  test('closed round hides the form', async () => {
    running = await startServer({ backend: new FakeBackend(projectStatus({ pendingGate: undefined, phase: 'benchmarking' })) });

    const html = await (await fetch(running.pageUrl(running.token()))).text();

    expect(html).toContain('Round 1 of the cost estimate review is closed');
    expect(html).toContain('<strong>benchmarking</strong>');
    expect(html).not.toContain('<form');
  });

  test('older round hides the form', async () => {
    const status = projectStatus();
    status.reviews.push({ ...status.reviews[0], round: 2, title: 'Revised cost estimate' });
    running = await startServer({ backend: new FakeBackend(status) });

    const html = await (await fetch(running.pageUrl(running.token({ round: 1 })))).text();

    expect(html).toContain('Cost estimate for Image classifier');
    expect(html).not.toContain('Revised cost estimate');
    expect(html).not.toContain('<form');
  });

  test('approve post records decision once', async () => {
    running = await startServer();
    const url = running.pageUrl(running.token());

    const response = await postForm(url, { decision: 'approved', comment: '  Fine by me  ' });
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(running.backend.decideCalls).toEqual([
      {
        projectId: 'image-classifier',
        input: {
          gate: 'cost',
          round: 1,
          email: STAKEHOLDER.email,
          decision: 'approved',
          comment: 'Fine by me',
          channel: 'e-mail link',
        },
      },
    ]);
    expect(html).toContain('Decision recorded');
    expect(html).toContain('You <strong>approved</strong> the cost estimate of <strong>Image classifier</strong> (round 1)');
    expect(html).toContain('<strong>benchmarking</strong>');

    const after = await (await fetch(url)).text();
    expect(after).toContain('Your recorded decision: <strong>approved</strong>');
  });

  test('reject post without comment', async () => {
    running = await startServer();

    const response = await postForm(running.pageUrl(running.token()), { decision: 'rejected', comment: '' });

    expect(response.status).toBe(200);
    expect(running.backend.decideCalls).toHaveLength(1);
    expect(running.backend.decideCalls[0].input.decision).toBe('rejected');
    expect(running.backend.decideCalls[0].input).not.toHaveProperty('comment');
    expect(await response.text()).toContain('You <strong>rejected</strong>');
  });

  test('request changes records comment', async () => {
    running = await startServer();
    const url = running.pageUrl(running.token());

    const response = await postForm(url, { decision: 'request-changes', comment: 'Plan for 20,000 users' });
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(running.backend.decideCalls).toEqual([
      {
        projectId: 'image-classifier',
        input: {
          gate: 'cost',
          round: 1,
          email: STAKEHOLDER.email,
          decision: 'request-changes',
          comment: 'Plan for 20,000 users',
          channel: 'e-mail link',
        },
      },
    ]);
    expect(html).toContain('You <strong>requested changes to</strong> the cost estimate of <strong>Image classifier</strong> (round 1)');
    expect(html).toContain('<strong>cost-review</strong>');
    const after = await (await fetch(url)).text();
    expect(after).toContain('Your recorded decision: <strong>changes requested</strong>');
    expect(after).toContain('Plan for 20,000 users');
  });

  test.each([
    ['missing comment', { decision: 'request-changes' }],
    ['blank comment', { decision: 'request-changes', comment: '   ' }],
  ])('change request without comment returns 400: %s', async (_case, fields: Record<string, string>) => {
    running = await startServer();

    const response = await postForm(running.pageUrl(running.token()), fields);
    const html = await response.text();

    expect(response.status).toBe(400);
    expect(html).toContain('Comment required');
    expect(html).toContain('A change request needs a comment that says what to change.');
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('review page offers request changes', async () => {
    running = await startServer();

    const html = await (await fetch(running.pageUrl(running.token()))).text();

    expect(html).toContain('<button type="submit" class="request-changes" name="decision" value="request-changes">Request changes</button>');
    expect(html).toContain('required to request changes');
  });

  test('validator rejection returns 409 message', async () => {
    const backend = new FakeBackend();
    backend.decideError = new DecisionRejectedError('round 1 of gate cost is closed; <b>round 2</b> is pending');
    running = await startServer({ backend });

    const response = await postForm(running.pageUrl(running.token()), { decision: 'approved' });
    const html = await response.text();

    expect(response.status).toBe(409);
    expect(html).toContain('Decision not recorded');
    expect(html).toContain('round 1 of gate cost is closed; &lt;b&gt;round 2&lt;/b&gt; is pending');
    expect(backend.decideCalls).toHaveLength(1);
  });

  test('wrong-gate token returns 409', async () => {
    running = await startServer({ backend: new FakeBackend(projectStatus({ pendingGate: 'deployment' })) });

    const response = await postForm(running.pageUrl(running.token({ gate: 'cost' })), { decision: 'approved' });

    expect(response.status).toBe(409);
    expect(await response.text()).toContain('gate cost is not waiting for decisions; the pending gate is deployment');
    expect(running.backend.decideCalls[0].input.gate).toBe('cost');
  });

  test('tampered token returns 403', async () => {
    running = await startServer();
    const token = running.token();
    const [payload, signature] = token.split('.');
    const otherGate = Buffer.from(
      Buffer.from(payload, 'base64url').toString('utf8').replace('"g":"cost"', '"g":"deployment"'),
    ).toString('base64url');
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;

    for (const bad of [`${otherGate}.${signature}`, `${payload}.${flipped}`, 'not-a-token']) {
      const page = await fetch(running.pageUrl(bad));
      const post = await postForm(running.pageUrl(bad), { decision: 'approved' });

      expect(page.status).toBe(403);
      expect(post.status).toBe(403);
      expect(await post.text()).toContain('This approval link is not valid');
    }
    expect(running.backend.decideCalls).toHaveLength(0);
    expect(running.backend.getStatusCalls).toHaveLength(0);
  });

  test('expired token returns 410', async () => {
    running = await startServer();
    const token = running.token({ expiresAt: Math.floor(NOW.getTime() / 1000) - 60 });

    const page = await fetch(running.pageUrl(token));
    const post = await postForm(running.pageUrl(token), { decision: 'approved' });
    const html = await post.text();

    expect(page.status).toBe(410);
    expect(post.status).toBe(410);
    expect(html).toContain('expired on 2029-12-31T23:59:00.000Z');
    expect(html).toContain('mlops project approve');
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('unknown project returns 404', async () => {
    running = await startServer();

    const response = await postForm(running.pageUrl(running.token({ projectId: 'gone-project' })), {
      decision: 'approved',
    });

    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Project gone-project does not exist or is no longer running');
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('backend failure returns 502 and logs', async () => {
    const backend = new FakeBackend();
    backend.getStatusError = new Error('connect ECONNREFUSED 127.0.0.1:7233');
    running = await startServer({ backend });

    const response = await fetch(running.pageUrl(running.token()));

    expect(response.status).toBe(502);
    expect(await response.text()).toContain('The workflow service did not answer');
    const failure = running.log.records().find((record) => record.msg === 'approval backend call failed');
    expect(failure).toBeDefined();
    expect(failure!.level).toBe(50);
    expect((failure!.err as Record<string, unknown>).message).toBe('connect ECONNREFUSED 127.0.0.1:7233');
    expect(failure!.projectId).toBe('image-classifier');
  });

  test('decide failure says outcome unknown', async () => {
    const backend = new FakeBackend();
    backend.decideError = new Error('deadline exceeded');
    running = await startServer({ backend });

    const response = await postForm(running.pageUrl(running.token()), { decision: 'approved' });

    expect(response.status).toBe(502);
    expect(await response.text()).toContain('may or may not be recorded');
  });

  test.each([
    ['missing decision', { comment: 'hi' }],
    ['unknown decision', { decision: 'maybe' }],
    ['capitalised decision', { decision: 'Approved' }],
    ['overlong comment', { decision: 'approved', comment: 'x'.repeat(2001) }],
  ])('invalid form returns 400: %s', async (_case, fields: Record<string, string>) => {
    running = await startServer();

    const response = await postForm(running.pageUrl(running.token()), fields);

    expect(response.status).toBe(400);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('oversized body returns 413', async () => {
    running = await startServer({ maxBodyBytes: 1024 });

    const response = await postForm(running.pageUrl(running.token()), { decision: 'approved', comment: 'x'.repeat(5000) });

    expect(response.status).toBe(413);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('chunked oversized body returns 413', async () => {
    running = await startServer({ maxBodyBytes: 1024 });
    const url = new URL(running.pageUrl(running.token()));

    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('decision=approved&comment=');
      for (let i = 0; i < 5; i += 1) {
        req.write('x'.repeat(512));
      }
      req.end();
    });

    expect(status).toBe(413);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('non-form body returns 415', async () => {
    running = await startServer();

    const response = await fetch(running.pageUrl(running.token()), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approved' }),
    });

    expect(response.status).toBe(415);
    expect(running.backend.decideCalls).toHaveLength(0);
  });

  test('cross-site post returns 403', async () => {
    running = await startServer();
    const url = running.pageUrl(running.token());

    const crossSite = await postForm(url, { decision: 'approved' }, { 'sec-fetch-site': 'cross-site' });
    const sameOrigin = await postForm(url, { decision: 'approved' }, { 'sec-fetch-site': 'same-origin' });

    expect(crossSite.status).toBe(403);
    expect(sameOrigin.status).toBe(200);
    expect(running.backend.decideCalls).toHaveLength(1);
  });

  test('unsupported method returns 405', async () => {
    running = await startServer();

    const response = await fetch(running.pageUrl(running.token()), { method: 'DELETE' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, POST');
  });

  test('healthz returns ok', async () => {
    running = await startServer();

    const response = await fetch(`${running.baseUrl}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });

  test('unknown paths return 404', async () => {
    running = await startServer();

    for (const path of ['/', '/approvals/', '/approvals', `/approvals/${running.token()}/extra`]) {
      expect((await fetch(`${running.baseUrl}${path}`)).status).toBe(404);
    }
  });

  test('public url path is the prefix', async () => {
    running = await startServer({ basePath: '/mlops' });
    const token = running.token();
    const origin = new URL(running.baseUrl).origin;

    expect((await fetch(`${origin}/mlops/approvals/${token}`)).status).toBe(200);
    expect((await fetch(`${origin}/approvals/${token}`)).status).toBe(404);
    expect((await fetch(`${origin}/mlops/healthz`)).status).toBe(200);
  });

  test('security headers on every response', async () => {
    const backend = new FakeBackend();
    running = await startServer({ backend, maxBodyBytes: 1024 });
    const url = running.pageUrl(running.token());
    const expired = running.pageUrl(running.token({ expiresAt: Math.floor(NOW.getTime() / 1000) - 1 }));

    const responses: [string, Response][] = [
      ['review page', await fetch(url)],
      ['healthz', await fetch(`${running.baseUrl}/healthz`)],
      ['not found', await fetch(`${running.baseUrl}/nothing`)],
      ['method not allowed', await fetch(url, { method: 'PUT' })],
      ['tampered', await fetch(`${url}x`)],
      ['expired', await fetch(expired)],
      ['bad form', await postForm(url, { decision: 'yes' })],
      ['too large', await postForm(url, { decision: 'approved', comment: 'x'.repeat(4000) })],
      ['unknown project', await fetch(running.pageUrl(running.token({ projectId: 'other' })))],
      ['recorded', await postForm(url, { decision: 'approved' })],
    ];
    backend.decideError = new DecisionRejectedError('already decided');
    responses.push(['rejected', await postForm(url, { decision: 'approved' })]);
    backend.getStatusError = new Error('unavailable');
    responses.push(['backend down', await fetch(url)]);

    expect(responses.map(([, response]) => response.status)).toEqual([200, 200, 404, 405, 403, 410, 400, 413, 404, 200, 409, 502]);
    for (const [label, response] of responses) {
      expectSecurityHeaders(response, label);
    }
  });

  test('logs never contain the token', async () => {
    const backend = new FakeBackend();
    running = await startServer({ backend });
    const token = running.token();
    const expiredToken = running.token({ expiresAt: Math.floor(NOW.getTime() / 1000) - 1 });
    const url = running.pageUrl(token);

    await fetch(url);
    await postForm(url, { decision: 'maybe' });
    await postForm(url, { decision: 'approved' });
    await fetch(`${url}tampered`);
    await fetch(running.pageUrl(expiredToken));
    await fetch(`${url}/extra`);
    backend.getStatusError = new Error(`status failed for ${url}`);
    await fetch(url);

    const text = running.log.text;
    for (const secret of [token, expiredToken, ...token.split('.'), ...expiredToken.split('.')]) {
      expect(text).not.toContain(secret);
    }

    const requests = running.log.records().filter((record) => record.msg === 'approval server request');
    expect(requests.map((record) => [record.method, record.route, record.status])).toEqual([
      ['GET', '/approvals/:token', 200],
      ['POST', '/approvals/:token', 400],
      ['POST', '/approvals/:token', 200],
      ['GET', '/approvals/:token', 403],
      ['GET', '/approvals/:token', 410],
      ['GET', 'unmatched', 404],
      ['GET', '/approvals/:token', 502],
    ]);
    expect(requests[1].reason).toContain('expected one of "approved", "rejected", "request-changes"');
    expect(requests[2]).toMatchObject({ projectId: 'image-classifier', gate: 'cost', round: 1 });
    expect(requests[2].reason).toBeUndefined();
    expect(requests[4]).toMatchObject({ projectId: 'image-classifier', gate: 'cost' });
  });

  test('page loads no external resources', async () => {
    const status = projectStatus();
    status.name = 'Classifier <img src="https://tracker.example/p.gif">';
    status.reviews[0].title = 'Estimate <script src="https://cdn.example/x.js"></script>';
    status.reviews[0].paragraphs.push('See <a href="https://evil.example/">details</a> and http://docs.example/pricing');
    running = await startServer({ backend: new FakeBackend(status) });
    const url = running.pageUrl(running.token());

    const pages = [
      await (await fetch(url)).text(),
      await (await postForm(url, { decision: 'approved' })).text(),
      await (await fetch(`${url}x`)).text(),
    ];

    for (const html of pages) {
      expect(html).not.toMatch(/<(script|img|link|iframe|object|embed)\b/i);
      for (const target of linkTargets(html)) {
        expect(target).not.toMatch(/^(https?:)?\/\//i);
      }
    }
    expect(pages[0]).toContain('Estimate &lt;script src=&quot;https://cdn.example/x.js&quot;&gt;&lt;/script&gt;');
    expect(pages[0]).toContain('Classifier &lt;img src=&quot;https://tracker.example/p.gif&quot;&gt;');
  });

});

describe('approval link', () => {
  test('approval link joins public url', () => {
    expect(approvalLink('https://approvals.example.com/', 'abc.def')).toBe('https://approvals.example.com/approvals/abc.def');
    expect(approvalLink('https://example.com/mlops/', 'abc.def')).toBe('https://example.com/mlops/approvals/abc.def');
    expect(() => approvalLink('ftp://example.com', 'abc.def')).toThrow(/must be http or https/);
    expect(() => approvalLink('example.com', 'abc.def')).toThrow(/is not a URL/);
  });
});
