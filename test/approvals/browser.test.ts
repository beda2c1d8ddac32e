/**
 * The approval page in a real headless Chromium: the stakeholder opens the
 * link, reads the summary, clicks Approve or Request changes and sees the
 * recorded decision, and opens the cost report, whose charts draw under
 * the server's script policy. Chromium comes from the project's setup;
 * without it these tests fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHART_IDS } from '../../client/report';
import { FakeBackend, reportStatus, type RunningServer, STAKEHOLDER, startServer } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Collects the page's Content-Security-Policy violations and every URL it requests. */
function watch(page: Page): { cspViolations: string[]; requestedUrls: string[] } {
  const cspViolations: string[] = [];
  const requestedUrls: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) {
      cspViolations.push(message.text());
    }
  });
  page.on('request', (request) => requestedUrls.push(request.url()));
  return { cspViolations, requestedUrls };
}

describe('approval page in Chromium', () => {
  let browser: Browser;
  let running: RunningServer;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: run the project's setup script, which installs Chromium, then rerun the tests`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    await running?.close();
  });

  test('approve click records decision', async () => {
    running = await startServer();
    const url = running.pageUrl(running.token());
    const page = await browser.newPage();
    const cspViolations: string[] = [];
    const requestedUrls: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) {
        cspViolations.push(message.text());
      }
    });
    page.on('request', (request) => requestedUrls.push(request.url()));

    await page.goto(url);

    expect(await page.locator('h1').textContent()).toBe('Review the cost estimate of Image classifier');
    expect(await page.locator('.summary h2').textContent()).toBe('Cost estimate for Image classifier');
    expect(await page.locator('.summary td').allTextContents()).toContain('$80.80');
    // The nonce-carrying <style> applied: the Approve button is green, not the browser default.
    // The expression runs in the page; the test's TypeScript has no DOM types.
    const approveColor = await page.evaluate("getComputedStyle(document.querySelector('button.approve')).backgroundColor");
    expect(approveColor).toBe('rgb(31, 122, 54)');

    await page.fill('textarea[name="comment"]', 'Within budget');
    await Promise.all([page.waitForURL(url), page.click('button.approve')]);

    expect(await page.locator('h1').textContent()).toBe('Decision recorded');
    expect(await page.locator('.decision').textContent()).toContain('You approved the cost estimate of Image classifier (round 1)');
    expect(running.backend.decideCalls).toEqual([
      {
        projectId: 'image-classifier',
        input: {
          gate: 'cost',
          round: 1,
          email: STAKEHOLDER.email,
          decision: 'approved',
          comment: 'Within budget',
          channel: 'e-mail link',
        },
      },
    ]);
    expect(cspViolations).toEqual([]);
    const origin = new URL(url).origin;
    expect(requestedUrls.filter((requested) => !requested.startsWith(origin))).toEqual([]);

    await page.goto(url);
    expect(await page.locator('.decision').textContent()).toContain('Your recorded decision: approved');
    await page.close();
  });

  test('request changes needs comment', async () => {
    running = await startServer();
    const url = running.pageUrl(running.token());
    const page = await browser.newPage();
    const watched = watch(page);

    await page.goto(url);
    await Promise.all([page.waitForURL(url), page.click('button.request-changes')]);

    expect(await page.locator('h1').textContent()).toBe('Comment required');
    expect(running.backend.decideCalls).toEqual([]);

    await page.goto(url);
    await page.fill('textarea[name="comment"]', 'Plan for 20,000 users, not 12,000');
    await Promise.all([page.waitForURL(url), page.click('button.request-changes')]);

    expect(await page.locator('h1').textContent()).toBe('Decision recorded');
    expect(await page.locator('.decision').textContent()).toContain('You requested changes to the cost estimate of Image classifier (round 1)');
    expect(running.backend.decideCalls.map((call) => call.input)).toEqual([
      {
        gate: 'cost',
        round: 1,
        email: STAKEHOLDER.email,
        decision: 'request-changes',
        comment: 'Plan for 20,000 users, not 12,000',
        channel: 'e-mail link',
      },
    ]);

    await page.goto(url);
    expect(await page.locator('.decision').textContent()).toContain('Your recorded decision: changes requested');
    expect(watched.cspViolations).toEqual([]);
    await page.close();
  });

  test('report link draws every chart', async () => {
    running = await startServer({ backend: new FakeBackend(reportStatus()) });
    const pageUrl = running.pageUrl(running.token());
    const page = await browser.newPage();
    const watched = watch(page);

    await page.goto(pageUrl);
    await Promise.all([page.waitForURL(/\/report\//), page.click('a.report-link')]);

    expect(page.url()).toBe(`${running.baseUrl}/report/${running.token()}`);
    expect(await page.locator('h1').textContent()).toBe('Cost report: Image classifier (image-classifier)');
    // The expression runs in the page; the test's TypeScript has no DOM types.
    const painted = (await page.evaluate(`Array.from(document.querySelectorAll('canvas')).map(function (canvas) {
      var pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      var count = 0;
      for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) count += 1;
      return [canvas.id, count];
    })`)) as [string, number][];
    const pixelsById = new Map(painted);
    for (const id of [CHART_IDS.spend, CHART_IDS.breakdown, CHART_IDS.costVsDuration]) {
      // A chart whose script was blocked leaves its canvas transparent; axes and labels alone paint thousands of pixels.
      expect({ id, drawn: (pixelsById.get(id) ?? 0) > 500 }).toEqual({ id, drawn: true });
    }
    expect(watched.cspViolations).toEqual([]);
    const origin = new URL(pageUrl).origin;
    expect(watched.requestedUrls.filter((requested) => !requested.startsWith(origin))).toEqual([]);
    expect(running.backend.decideCalls).toEqual([]);
    await page.close();
  });
});
