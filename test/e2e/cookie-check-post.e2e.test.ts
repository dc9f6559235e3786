// A person's form post through the cookie check, in a real Chromium through
// the full app: a crowd of new clients trips the surge guard; a person who
// had loaded the login form before the shield was in front (so without its
// seen cookie) submits it. The
// check answers the post with a 307 to itself; Chromium re-posts the same
// body with the cookie and the origin logs the volunteer in — nothing typed
// is lost. A post from another site is left to the detector (its
// SameSite=Lax cookie would not come back with a re-post). Its contexts send
// a person's Chrome User-Agent: a headless one is a declared bot to Rampart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { Agent, request } from 'undici';
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js';
import { CHROMIUM_ARGS, personUserAgent } from '../../src/drill/chromium-users.js';
import { startShield } from '../helpers/shield.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not installed (set CI=1 to fail instead)` : false;

/** 40 requests from 40 new addresses in 198.51.`net`.0/24 (a tool, no cookie): the surge guard's crowd at `new_clients: 10`. */
async function crowd(port: number, net: number): Promise<number> {
  const dispatcher = new Agent({ connections: 8 });
  let checked = 0;
  await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const r = await request(`http://127.0.0.1:${port}/materials`, {
        headers: { 'x-forwarded-for': `198.51.${net}.${i + 1}` },
        dispatcher,
      });
      await r.body.dump();
      if (r.headers['rampart-verdict'] === 'challenge/cookie') checked++;
    }),
  );
  await dispatcher.close();
  return checked;
}

describe('a form post through the cookie check in Chromium', { skip, timeout: 120_000 }, () => {
  let origin: DemoOrigin;
  let shield: Awaited<ReturnType<typeof startShield>>;
  let browser: Browser;
  let elsewhere: Server;

  before(async () => {
    origin = await startDemoOrigin();
    shield = await startShield(origin.url, {
      trusted_proxies: ['127.0.0.0/8'],
      identity: { surge_guard: { new_clients: 10 } },
      // The surge guard alone: the detector would call the test's crowd an attack and challenge newcomers.
      detector: { enabled: false },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    // Another site (another port is another origin; 127.0.0.2 another site) whose form posts to the shield.
    elsewhere = createServer((_q, s) => {
      s.writeHead(200, { 'content-type': 'text/html' });
      s.end(
        `<!doctype html><form method="post" action="http://127.0.0.1:${shield.port}/login"><input name="user" value="volunteer"><input name="password" value="riverton"><button>go</button></form>`,
      );
    });
    await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.2', r));
  });

  after(async () => {
    await browser?.close();
    await shield?.stop();
    await origin?.close();
    await new Promise((r) => elsewhere?.close(r));
  });

  test('a post without the cookie during a surge: 307 to itself, re-posted with its body and the cookie, logged in', async () => {
    const context = await browser.newContext({ userAgent: personUserAgent(browser.version()) });
    const page = await context.newPage();
    const posts: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/login') posts.push(r.status());
    });
    const base = `http://127.0.0.1:${shield.port}`;
    assert.ok((await crowd(shield.port, 100)) > 0, 'the crowd tripped the surge guard');
    // The form and its assets as loaded before the shield was in front: from the origin, never through the shield.
    await page.route(`${base}/**`, async (route) => {
      const u = new URL(route.request().url());
      await route.fulfill({ response: await route.fetch({ url: `${origin.url}${u.pathname}${u.search}` }) });
    });
    await page.goto(`${base}/login`);
    await page.waitForSelector('h1:has-text("Volunteer login")', { timeout: 30_000 });
    await page.unrouteAll();
    const checksBefore = shield.challengeStats()!.cookieChecks;
    await page.fill('#user', 'volunteer');
    await page.fill('#password', 'riverton');
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:has-text("Thank you, volunteer")', { timeout: 30_000 });
    assert.deepEqual(posts, [307, 200], 'the check, then the origin: one re-post, no error page');
    assert.equal(shield.challengeStats()!.cookieChecks, checksBefore + 1);
    const cookies = await context.cookies();
    assert.equal(
      cookies.some((c) => c.name === 'rampart_seen'),
      true,
      'the 307 set the seen cookie',
    );
    assert.equal(
      cookies.some((c) => c.name === 'demo_session'),
      true,
      'the origin read the body and logged the volunteer in',
    );
    await context.close();
  });

  test('a post from another site during a surge is left to the detector: no redirect its Lax cookie would not follow', async () => {
    assert.ok((await crowd(shield.port, 101)) > 0, 'the surge guard is on');
    const context = await browser.newContext({ userAgent: personUserAgent(browser.version()) });
    const page = await context.newPage();
    const port = (elsewhere.address() as AddressInfo).port;
    await page.goto(`http://127.0.0.2:${port}/`);
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.click('button');
    const r = await answer;
    assert.equal((await r.request().allHeaders())['sec-fetch-site'], 'cross-site');
    assert.equal(r.status(), 200, `answered ${r.headers()['rampart-verdict']}`);
    await page.waitForSelector('h1:has-text("Thank you, volunteer")', { timeout: 30_000 });
    await context.close();
  });
});
