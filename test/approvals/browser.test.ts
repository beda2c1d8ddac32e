/**
 * The approval page in a real headless Chromium: the stakeholder opens the
 * link, reads the summary, clicks Approve and sees the recorded decision.
 * Chromium comes from the project's setup; without it this test fails.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { type RunningServer, STAKEHOLDER, startServer } from './fixtures';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

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
});
