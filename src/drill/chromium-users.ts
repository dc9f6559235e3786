// A few real Chromium users (playwright-core, JavaScript on) browsing the
// same site as the people without JavaScript: home, materials, a search, the
// donate form filled and submitted, with think time. They pass Rampart's
// interstitial as a person's browser does (its script solves, posts, follows
// the 303), and follow the assets check's reload. Each navigation is recorded
// apart ('chromium'), its time from the click to the final page's load, proof
// of work and reloads included. Chromium connects
// from 127.0.0.1 (it cannot bind a chosen source). playwright-core is a
// devDependency and is imported only here, on demand: without it, or without
// the browser binary, the campaign says so and runs without these users.
import { existsSync } from 'node:fs';
import type { Browser, Page, Response } from 'playwright-core';
import type { CampaignRecorder } from './campaign-recorder.js';
import { sleepUntil } from './legit.js';
import { navOutcome, type NavOutcome } from './nojs-client.js';
import type { Target } from './target.js';

export const CHROMIUM_PATH = process.env.RAMPART_CHROMIUM ?? '/usr/bin/chromium';
/** Chromium's flags for a headless, quiet run (no QUIC: the shield speaks TCP; no background traffic). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const NAV_TIMEOUT = 20_000;
const SOLVE_TIMEOUT = 30_000;
const TOPICS = ['water', 'schools', 'buses', 'housing', 'parks'];

export interface ChromiumHandle {
  browser: Browser;
  close(): Promise<void>;
}

/** Launches Chromium headless with a fresh profile, or says why it cannot. */
export async function launchChromium(): Promise<ChromiumHandle | { unavailable: string }> {
  if (!existsSync(CHROMIUM_PATH))
    return { unavailable: `${CHROMIUM_PATH} not found (apt-get install chromium, or set RAMPART_CHROMIUM)` };
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch {
    return { unavailable: 'playwright-core is not installed (it is a devDependency: npm install --include=dev)' };
  }
  try {
    // launch() gives each run a fresh temporary profile (its own --user-data-dir).
    const browser = await pw.chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
    return { browser, close: () => browser.close().catch(() => {}) };
  } catch (e) {
    return { unavailable: `chromium did not start: ${(e as Error).message.split('\n')[0]}` };
  }
}

export interface ChromiumUsersOptions {
  browser: Browser;
  target: Target;
  users: number;
  recorder: CampaignRecorder;
  until: number;
  thinkMs: readonly [number, number];
  /** Pages opened beforehand (openChromiumPages, one per user); else each user opens its own when it starts. */
  pages?: readonly Page[];
}

/**
 * One fresh context and page per user, opened before the people start: each page's renderer process
 * starts here, not on the shield's cores while an attack's or a start's first second is measured (a
 * person's browser runs on their own machine).
 */
export async function openChromiumPages(browser: Browser, users: number): Promise<Page[]> {
  const userAgent = personUserAgent(browser.version());
  return Promise.all(
    Array.from({ length: users }, async () => {
      const ctx = await browser.newContext({
        userAgent,
        extraHTTPHeaders: { 'x-drill-role': 'legit' },
        viewport: { width: 1280, height: 800 },
      });
      return ctx.newPage();
    }),
  );
}

/**
 * The User-Agent a person's Chrome of this version sends (Chrome's reduced form). A headless Chromium names
 * itself `HeadlessChrome`, which Rampart files as a declared bot: drill people must meet what a person meets.
 */
export function personUserAgent(version: string): string {
  const major = /^\d+/.exec(version)?.[0] ?? '131';
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;
}

export async function runChromiumUsers(o: ChromiumUsersOptions): Promise<void> {
  const pages = o.pages ?? (await openChromiumPages(o.browser, o.users));
  await Promise.all(pages.slice(0, o.users).map((page, i) => user(o, page, i)));
}

async function user(o: ChromiumUsersOptions, page: Page, i: number): Promise<void> {
  const ctx = page.context();
  const think = async () => {
    await sleepUntil(Math.min(o.until, Date.now() + o.thinkMs[0] + Math.random() * (o.thinkMs[1] - o.thinkMs[0])));
    return Date.now() < o.until;
  };
  try {
    await sleepUntil(Math.min(o.until, Date.now() + Math.random() * 2000));
    for (let s = 0; Date.now() < o.until; s++) {
      const q = TOPICS[(i + s) % TOPICS.length];
      for (const path of ['/', '/materials', `/search?q=${q}`]) {
        await visit(o, page, i, () =>
          page.goto(`${o.target.origin}${path}`, { waitUntil: 'load', timeout: NAV_TIMEOUT }),
        );
        if (!(await think())) return;
      }
      const form = await visit(o, page, i, () =>
        page.goto(`${o.target.origin}/donate`, { waitUntil: 'load', timeout: NAV_TIMEOUT }),
      );
      if (!(await think())) return;
      if (form === 'served' && (await page.$('#amount')) !== null) {
        await page.fill('#name', `Chromium ${i}`).catch(() => {});
        await page.fill('#amount', '20').catch(() => {});
        await visit(o, page, i, () =>
          Promise.all([
            page.waitForNavigation({ waitUntil: 'load', timeout: NAV_TIMEOUT }),
            page.click('button[type=submit]', { timeout: NAV_TIMEOUT }),
          ]).then(([r]) => r),
        );
        if (!(await think())) return;
      }
    }
  } catch {
    // The deadline closed the browser under us: nothing to record.
  } finally {
    await ctx.close().catch(() => {});
  }
}

const isInterstitial = (r: Response | null) =>
  r !== null && r.headers()['rampart-verdict'] === 'challenge/required' && r.request().method() === 'GET';
/** The assets check: a page that reloads itself once its stylesheet has loaded (docs/challenge.md). */
const isMarkCheck = (r: Response | null) => r !== null && r.headers()['rampart-verdict'] === 'challenge/mark';
/** The reloads a person's browser follows by itself from an assets check page (the shield asks three times). */
const MARK_RELOADS = 3;

/** The main frame's navigation responses of one visit, in order, and a wait for the next one. */
function navigationsOf(page: Page): { next(after: Response): Promise<Response>; close(): void } {
  const navs: Response[] = [];
  let wake: (() => void) | null = null;
  const onResponse = (r: Response) => {
    if (!r.request().isNavigationRequest() || r.request().frame() !== page.mainFrame()) return;
    navs.push(r);
    wake?.();
  };
  page.on('response', onResponse);
  return {
    async next(after) {
      const deadline = Date.now() + NAV_TIMEOUT;
      for (;;) {
        const i = navs.indexOf(after);
        if (i >= 0 && i + 1 < navs.length) return navs[i + 1];
        if (Date.now() >= deadline) throw new Error('Timeout waiting for the reload');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
        wake = null;
      }
    },
    close: () => page.off('response', onResponse),
  };
}

/** One navigation: if served the interstitial, waits for the page's script to solve and land on the page. */
async function visit(
  o: ChromiumUsersOptions,
  page: Page,
  i: number,
  go: () => Promise<Response | null>,
): Promise<NavOutcome> {
  if (Date.now() >= o.until) return 'failed';
  const sentAt = Date.now();
  const t0 = performance.now();
  let resp: Response | null = null;
  let error = '';
  let solved = false;
  let checked = false;
  const navs = navigationsOf(page);
  const trace = TRACE ? traceOf(page) : null;
  try {
    resp = await go();
    checked = await passedCheck(resp);
    // The assets check's page reloads by itself once loaded: the navigation goes on to what the reload gets.
    for (let n = 0; n < MARK_RELOADS && resp !== null && isMarkCheck(resp); n++) {
      checked = true;
      resp = await navs.next(resp);
      await page.waitForLoadState('load', { timeout: NAV_TIMEOUT }).catch(() => {});
    }
    if (isInterstitial(resp)) {
      const back = await page.waitForResponse(
        (r) =>
          r.request().isNavigationRequest() &&
          r.request().frame() === page.mainFrame() &&
          r.request().method() === 'GET' &&
          r.status() < 300,
        { timeout: SOLVE_TIMEOUT },
      );
      await page.waitForLoadState('load', { timeout: NAV_TIMEOUT }).catch(() => {});
      solved = !isInterstitial(back);
      resp = back;
    }
  } catch (e) {
    error = /ERR_CONNECTION_REFUSED/.test(String(e))
      ? 'ECONNREFUSED'
      : /Timeout/i.test(String(e))
        ? 'timeout'
        : 'navigation-error';
  } finally {
    navs.close();
  }
  const status = resp?.status() ?? 0;
  const verdict = resp?.headers()['rampart-verdict'] ?? '';
  const body = isInterstitial(resp) ? 'id="rampart-challenge"' : '';
  const r = navOutcome({
    reply: { status, verdict, body, setCookie: [], location: '', ms: 0, error: resp ? '' : error || 'no-response' },
    ms: 0,
    hops: 0,
    checked: false,
    loop: false,
    path: '',
  });
  if (trace !== null) await trace.print(r.outcome, i, sentAt);
  o.recorder.nav(
    'chromium',
    i,
    sentAt,
    r.outcome,
    performance.now() - t0,
    r.rule,
    checked,
    solved && r.outcome === 'served',
  );
  return r.outcome;
}

/** RAMPART_DRILL_NAV_TRACE=1: a Chromium visit not served is printed to stderr with each request of its page (bench/drills/README.md). */
const TRACE = process.env.RAMPART_DRILL_NAV_TRACE === '1';

/** Every response the page gets during one visit: method, path, status, verdict, cookie sent, cookie set. */
function traceOf(page: Page): { print(outcome: string, i: number, sentAt: number): Promise<void> } {
  const lines: Promise<string>[] = [];
  const t0 = Date.now();
  const onResponse = (r: Response) => {
    lines.push(
      (async () => {
        const sent = await r
          .request()
          .allHeaders()
          .catch(() => ({}) as Record<string, string>);
        const got = await r.allHeaders().catch(() => ({}) as Record<string, string>);
        const u = new URL(r.url());
        return `  +${Date.now() - t0} ms ${r.request().method()} ${u.pathname}${u.search} ${r.status()} ${got['rampart-verdict'] ?? '-'} cookie:${sent.cookie === undefined ? 'none' : sent.cookie.length} set-cookie:${got['set-cookie'] === undefined ? 'no' : 'yes'}`;
      })(),
    );
  };
  page.on('response', onResponse);
  return {
    async print(outcome, i, sentAt) {
      page.off('response', onResponse);
      if (outcome === 'served') return;
      const all = await Promise.all(lines);
      process.stderr.write(
        `chromium user ${i} visit at ${new Date(sentAt).toISOString()}: ${outcome}\n${all.join('\n')}\n`,
      );
    },
  };
}

/** True when the navigation went through a redirect the shield answered with a `challenge/` verdict (a check). */
async function passedCheck(resp: Response | null): Promise<boolean> {
  for (let req = resp?.request().redirectedFrom() ?? null; req !== null; req = req.redirectedFrom()) {
    const r = await req.response();
    if (r && r.status() >= 300 && r.status() < 400 && (r.headers()['rampart-verdict'] ?? '').startsWith('challenge/'))
      return true;
  }
  return false;
}
