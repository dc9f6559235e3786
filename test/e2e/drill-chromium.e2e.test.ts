// The campaign's Chromium users (src/drill/chromium-users.ts) against a real
// Rampart that challenges everyone: the browser is served the interstitial,
// its script solves it, and the navigation is recorded as served after a
// solve (and the person as challenged); the donate form goes through. A
// person without JavaScript on the same shield is refused at the
// interstitial. And on a bare site answering each path's first navigation
// with the assets check, its reload is followed and the page counts as
// served. ~25 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { markCheckPage } from '../../src/challenge/respond.js';
import { uaFamily } from '../../src/core/ua-family.js';
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js';
import { CampaignRecorder } from '../../src/drill/campaign-recorder.js';
import {
  launchChromium,
  openChromiumPages,
  runChromiumUsers,
  CHROMIUM_PATH,
  type ChromiumHandle,
} from '../../src/drill/chromium-users.js';
import { navOutcome, NoJsClient } from '../../src/drill/nojs-client.js';
import { browserProfile } from '../../src/drill/profiles.js';
import { parseTarget } from '../../src/drill/target.js';
import { startShield } from '../helpers/shield.js';

const skip =
  !existsSync(CHROMIUM_PATH) && !process.env.CI ? `${CHROMIUM_PATH} not installed (set CI=1 to fail instead)` : false;
const CHALLENGE = { require: 'always', difficulty: { elevated: 10, under_attack: 10, manual: 10 } };

describe('campaign Chromium users', { skip, timeout: 90_000 }, () => {
  let origin: DemoOrigin;
  let shield: Awaited<ReturnType<typeof startShield>>;
  let chrome: ChromiumHandle;

  before(async () => {
    origin = await startDemoOrigin();
    shield = await startShield(origin.url, { challenge: CHALLENGE });
    const c = await launchChromium();
    if ('unavailable' in c) throw new Error(c.unavailable);
    chrome = c;
  });

  after(async () => {
    await chrome?.close();
    await shield?.stop();
    await origin?.close();
  });

  test('pass the interstitial like a person’s browser; recorded apart, as solved and challenged', async () => {
    const target = parseTarget(`http://127.0.0.1:${shield.port}`);
    const rec = new CampaignRecorder(12);
    rec.attackStart = Date.now();
    await runChromiumUsers({
      browser: chrome.browser,
      target,
      users: 1,
      recorder: rec,
      until: Date.now() + 12_000,
      thinkMs: [200, 400],
    });
    const t = rec.tallies.chromium.during;
    assert.ok(t.requests >= 3, JSON.stringify(t));
    assert.equal(t.served, t.requests, JSON.stringify(t));
    assert.ok(t.solved >= 1, 'the first navigation was challenged and solved');
    assert.equal(rec.people.chromium.challenged.size, 1);
    assert.ok(origin.stats().byRoute['/donate'] >= 1, 'pages reached the origin after the solve');
    assert.equal(rec.tallies.nojs.during.requests, 0);

    const nojs = new NoJsClient(target, '127.10.77.9', browserProfile(1));
    try {
      assert.equal(navOutcome(await nojs.navigate('page', 'GET', '/materials')).outcome, 'challenged');
    } finally {
      await nojs.close();
    }
  });
});

describe('campaign Chromium users with pages opened beforehand', { skip, timeout: 60_000 }, () => {
  test('each user browses in its own page opened before the people start, and closes it at the end', async () => {
    const origin = await startDemoOrigin();
    const shield = await startShield(origin.url);
    const c = await launchChromium();
    if ('unavailable' in c) throw new Error(c.unavailable);
    try {
      const pages = await openChromiumPages(c.browser, 2);
      assert.equal(pages.length, 2);
      assert.notEqual(pages[0].context(), pages[1].context(), 'one context (cookies, cache) per user');
      assert.equal(pages[0].url(), 'about:blank');
      const ua = await pages[0].evaluate(() => navigator.userAgent);
      assert.equal(uaFamily(ua), 'chrome', `a person's Chrome, not a headless one (a declared bot to Rampart): ${ua}`);
      const rec = new CampaignRecorder(8);
      rec.attackStart = Date.now();
      await runChromiumUsers({
        browser: c.browser,
        target: parseTarget(`http://127.0.0.1:${shield.port}`),
        users: 2,
        recorder: rec,
        until: Date.now() + 6_000,
        thinkMs: [200, 400],
        pages,
      });
      const t = rec.tallies.chromium.during;
      assert.ok(t.requests >= 2, JSON.stringify(t));
      assert.equal(t.served, t.requests, JSON.stringify(t));
      assert.deepEqual(
        pages.map((p) => p.isClosed()),
        [true, true],
        'the pages given were the ones used',
      );
      assert.equal(c.browser.contexts().length, 0, 'no other context was opened');
    } finally {
      await c.close();
      await shield.stop();
      await origin.close();
    }
  });
});

describe("campaign Chromium users and the assets check's reload", { skip, timeout: 60_000 }, () => {
  test('a navigation answered by the assets check is followed to the page its reload gets: served, and checked', async () => {
    // A bare site that answers each path's first navigation with the assets check, as the shield does
    // during a young incident to a browser whose cookie has no assets mark.
    const { headers, body } = markCheckPage();
    const asked = new Set<string>();
    let stylesheets = 0;
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/.rampart/challenge/mark.css') {
        stylesheets++;
        res.writeHead(200, { 'content-type': 'text/css', 'cache-control': 'no-store' }).end('/* */');
      } else if (path === '/favicon.ico') res.writeHead(404).end();
      else if (!asked.has(path)) {
        asked.add(path);
        for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1]);
        res.writeHead(403).end(body);
      } else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title><h1>Page</h1>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = await launchChromium();
    if ('unavailable' in c) throw new Error(c.unavailable);
    try {
      const rec = new CampaignRecorder(8);
      rec.attackStart = Date.now();
      await runChromiumUsers({
        browser: c.browser,
        target: parseTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        users: 1,
        recorder: rec,
        until: Date.now() + 6_000,
        thinkMs: [100, 200],
      });
      const t = rec.tallies.chromium.during;
      assert.ok(t.requests >= 2, JSON.stringify(t));
      assert.equal(t.served, t.requests, JSON.stringify(t.byRule));
      assert.equal(t.checked, asked.size, "each path's first navigation went through the check");
      assert.ok(t.requests > asked.size, 'and the later ones were served at once');
      assert.equal(rec.people.chromium.checked.size, 1);
      assert.ok(stylesheets >= asked.size, `the browser loaded the stylesheet for each check (${stylesheets})`);
    } finally {
      await c.close();
      server.close();
    }
  });
});
