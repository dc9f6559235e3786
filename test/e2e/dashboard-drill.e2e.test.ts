// The dashboard in Chromium while a real drill (botnet scenario, loopback
// sources) hits a real Rampart with the detector on: the attack banner shows
// the incident and its classification, the verdict chart gains refusal
// series, and a screenshot of the dashboard under attack is saved to
// test-artifacts/dashboard-attack.png. The drill stops by itself.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js';
import { runDrill } from '../../src/drill/run.js';
import { parseTarget } from '../../src/drill/target.js';
import { startShield } from '../helpers/shield.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';
import { CHROMIUM_ARGS } from '../../src/drill/chromium-users.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} not installed (set CI=1 to fail instead)` : false;
const ARGS = [...CHROMIUM_ARGS];
const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');
const TOKEN = 'dashboard-drill-token-0123456789';
const DETECTOR = FAST_DETECTOR;

describe('dashboard during a drill', { skip, timeout: 120_000 }, () => {
  let origin: DemoOrigin;
  let shield: Awaited<ReturnType<typeof startShield>>;
  let browser: Browser;
  // Its own data_dir: an incident store shared with other test processes would mix their incidents in.
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-dash-'));

  before(async () => {
    origin = await startDemoOrigin({ maxConcurrency: 32 });
    shield = await startShield(origin.url, {
      data_dir: dataDir,
      detector: DETECTOR,
      limits: { max_connections_per_ip: 1000 },
      admin: { listen: '127.0.0.1:0', token: TOKEN },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await shield?.stop();
    await origin?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the banner names the attack and the charts show refusals while the drill runs', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${shield.control.url()}/`);
    await page.fill('#token', TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#main:not([hidden])');
    const drill = runDrill({
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'botnet',
      users: 4,
      rate: 200,
      sources: 80,
      warmupMs: 4000,
      durationMs: 10_000,
      thinkMs: [100, 300],
    });
    try {
      await page.waitForFunction(() => document.getElementById('banner')?.classList.contains('alert'), null, {
        timeout: 25_000,
      });
      const banner = (await page.textContent('#banner')) ?? '';
      assert.match(banner, /^Attack in progress \(incident [^)]+\): .+ — mode /);
      // The classification moves as the drill goes on, so name the vocabulary rather than one poll's answer.
      assert.match(
        banner,
        /\): (single source flood|distributed flood|cache busting|login stuffing|enumeration|slow connections|pulse wave|low and slow|unclassified anomaly)/,
      );
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('#chart-verdicts .u-legend .u-label')].some(
            (l) => l.textContent !== 'default/allow' && !/^cache\//.test(l.textContent ?? ''),
          ),
        null,
        { timeout: 15_000 },
      );
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-attack.png'), fullPage: true });
    } finally {
      await drill;
    }
    assert.deepEqual(errors, []);
    await page.close();
  });
});
