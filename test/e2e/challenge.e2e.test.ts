// The challenge in a real Chromium: a browser is challenged, solves in a
// Worker, lands on the URL it asked for and is not challenged again; the same
// on plain HTTP under a non-localhost name (not a secure context, so no
// crypto.subtle: the pure-JS SHA-256 path); clients without JS never reach
// the origin. Runs against test/e2e/helpers/challenge-server.ts (stage alone).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startChallengeServer, type ChallengeServer } from './helpers/challenge-server.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not installed (set CI=1 to fail instead)` : false;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOST = 'rampart-test.example';
// Low but real difficulty: the test proves the flow, the benchmark prices it.
const YAML = { difficulty: { elevated: 12, under_attack: 12, manual: 12 }, text: { appeal_url: '/contact' } };

/** Navigates and waits for the origin's page after the challenge. */
async function visit(page: Page, url: string): Promise<number> {
  const first = await page.goto(url);
  await page.waitForSelector('#origin', { timeout: 20_000 });
  return first?.status() ?? 0;
}

describe('challenge in Chromium', { skip, timeout: 120_000 }, () => {
  let server: ChallengeServer;
  let browser: Browser;
  let insecure: Browser;

  before(async () => {
    server = await startChallengeServer(YAML);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    insecure = await chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });
  });

  after(async () => {
    await browser?.close();
    await insecure?.close();
    await server?.close();
  });

  test('a browser is challenged, solves, lands where it asked, and is not challenged next time', async () => {
    const page = await browser.newPage();
    const target = '/campaign/sign?ref=mail&x=1';
    const start = server.challenge.stats();
    const status = await visit(page, `http://127.0.0.1:${server.port}${target}`);
    assert.equal(status, 403, 'the first answer was the interstitial');
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, target);
    assert.equal(await page.textContent('#origin'), `ORIGIN OK ${target}`);
    assert.equal(await page.evaluate(() => window.isSecureContext), true);
    const before = server.challenge.stats();
    const again = await page.goto(`http://127.0.0.1:${server.port}/news`);
    assert.equal(again?.status(), 200);
    assert.equal(await page.textContent('#origin'), 'ORIGIN OK /news');
    const now = server.challenge.stats();
    assert.equal(now.issued, before.issued, 'no new challenge');
    assert.equal(now.solved, start.solved + 1);
    // In a secure context the solver times crypto.subtle against pure JS and keeps the faster.
    assert.equal(now.solvedVia.subtle + now.solvedVia.js, start.solvedVia.subtle + start.solvedVia.js + 1, 'solved in Workers');
    await page.close();
  });

  test('in a non-secure context (plain HTTP, non-localhost name) the pure-JS SHA-256 solves it', async () => {
    const page = await insecure.newPage();
    const url = `http://${HOST}:${server.port}/local/event?id=42`;
    const jsBefore = server.challenge.stats().solvedVia.js;
    assert.equal(await visit(page, url), 403);
    assert.equal(page.url(), url);
    assert.equal(await page.evaluate(() => window.isSecureContext), false);
    assert.equal(await page.evaluate(() => typeof crypto.subtle), 'undefined');
    assert.equal(server.challenge.stats().solvedVia.js, jsBefore + 1, 'solved by the pure-JS path');
    const again = await page.goto(`http://${HOST}:${server.port}/second`);
    assert.equal(again?.status(), 200);
    await page.close();
  });

  test('a browser with JavaScript off sees the explanation and the appeal link, not the origin', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const hits = server.originHits.length;
    const r = await page.goto(`http://127.0.0.1:${server.port}/nojs`);
    assert.equal(r?.status(), 403);
    assert.equal(await page.isVisible('#rampart-challenge'), false, 'the "working" form is hidden without JS');
    assert.match((await page.textContent('body')) ?? '', /needs JavaScript/);
    assert.equal(await page.getAttribute('a[href="/contact"]', 'href'), '/contact');
    assert.equal(server.originHits.length, hits);
    await context.close();
  });
});

describe('clients without JavaScript', { timeout: 30_000 }, () => {
  let server: ChallengeServer;
  before(async () => {
    server = await startChallengeServer(YAML);
  });
  after(() => server?.close());

  test('a curl-like client never reaches the origin, with or without following redirects and keeping cookies', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const get = await fetch(`${base}/`, { headers: { 'user-agent': 'curl/8.5.0' }, redirect: 'follow' });
    assert.equal(get.status, 403);
    assert.equal(get.headers.get('rampart-verdict'), 'challenge/required');
    const post = await fetch(`${base}/donate`, { method: 'POST', body: 'amount=5', headers: { 'user-agent': 'curl/8.5.0', 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(post.status, 429);
    assert.ok(Number(post.headers.get('retry-after')) > 0);
    // Submitting the form without doing the work.
    const html = await (await fetch(`${base}/`)).text();
    const token = /name="challenge" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cheat = await fetch(`${base}/.rampart/challenge/verify`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ challenge: token, solution: '1', return: '/' }) });
    assert.equal(cheat.status, 403);
    assert.equal(cheat.headers.get('set-cookie'), null);
    assert.deepEqual(server.originHits, []);
  });
});
