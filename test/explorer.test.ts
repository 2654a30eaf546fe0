import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnvelope } from '../lib/events.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { registerUser } from './helpers/users.ts';
import { cursorOnceThere } from './helpers/ws.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The offline explorer at /explorer, driven in a real headless Chromium with no network but loopback:
 * everything it needs is in the page. `.ci/run` installs Debian's chromium; without it this is skipped.
 */
const available = existsSync(CHROMIUM);
// CI installs Chromium and sets REQUIRE_CHROMIUM: there, a missing browser fails rather than skips.
if (!available && process.env.REQUIRE_CHROMIUM) throw new Error(`REQUIRE_CHROMIUM is set but there is no Chromium at ${CHROMIUM}`);

describe.skipIf(!available)('the offline explorer in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let token: string;
  let userId: string;

  beforeAll(async () => {
    stack = await startStack({ services: ['gateway', 'users', 'notifications'] });
    ({ token, id: userId } = await registerUser(stack, 'Explorer Eve'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.destroy();
  });

  /** Opens the explorer on `query`, with the caller's token in GraphiQL's saved headers, and runs it. */
  async function run(query: string): Promise<Page> {
    const context = await browser.newContext();
    await context.addInitScript((headers) => localStorage.setItem('graphiql:headers', headers), JSON.stringify({ authorization: `Bearer ${token}` }));
    const page = await context.newPage();
    const offline: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(new URL(stack.gatewayUrl).origin) && !/^(data|blob):/.test(request.url())) offline.push(request.url());
    });
    await page.goto(`${stack.gatewayUrl.replace('/graphql', '/explorer')}?query=${encodeURIComponent(query)}`);
    await page.locator('.graphiql-execute-button').click();
    expect(offline).toEqual([]);
    return page;
  }

  /** What the result pane shows; Monaco renders spaces as no-break spaces. */
  const response = async (page: Page) => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');

  it('runs a query from the page and shows its result', async () => {
    const page = await run('query Me { me { name } }');
    await expect.poll(() => response(page), { timeout: 20_000 }).toContain('Explorer Eve');
  });

  it('runs a subscription from the page over graphql-ws and shows what arrives', async () => {
    // After the welcome: whatever follows arrives, however long the page takes to subscribe.
    const after = await cursorOnceThere((query) => stack.graphql(query, {}, { token }), 1);
    const page = await run(`subscription Live { notificationAdded(after: "${after}") { title } }`);
    await stack.runtime.bus.publish(
      createEnvelope({ type: 'quiz.scored', data: { userId, attemptId: crypto.randomUUID(), quizId: crypto.randomUUID(), quizTitle: 'Explored', topic: 'graphql', score: 5, maxScore: 5, percent: 100, passed: true, scoredAt: new Date().toISOString() } }, { producer: 'quizzes' }),
    );
    await expect.poll(() => response(page), { timeout: 20_000 }).toContain('Explored: 100%, passed');
  });
});
