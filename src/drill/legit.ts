// Legit users: each one a Browser running campaign-site sessions until the
// deadline — home page with its CSS/JS/images (first visit only: the browser
// caches them), materials, a search, the donate form (GET, think, POST), and
// for some the volunteer login — with think time between steps. Every step's
// outcome goes to the Recorder. Bounded: `users` browsers, stops at `until`.
import { loopbackSource } from './addresses.js';
import { Browser, type FetchResult, type Kind } from './browser.js';
import type { Reply } from './client.js';
import type { LegitOutcome, Recorder } from './recorder.js';
import type { Solver } from './solver.js';
import type { Target } from './target.js';

export interface LegitOptions {
  target: Target;
  users: number;
  /** First user index (address pool slot); bursts use indexes after the regulars. */
  firstIndex?: number;
  recorder: Recorder;
  solver: Solver;
  /** ms since the epoch at which every user stops. */
  until: number;
  thinkMs: readonly [number, number];
  /** Sessions per user before leaving (Infinity: until the deadline). */
  sessions?: number;
  /** Spread the users' first request over this many ms. */
  rampMs?: number;
  xffOf?: (i: number) => string;
}

const TOPICS = ['water', 'schools', 'buses', 'housing', 'parks', 'energy', 'clinics', 'bikes'];
const NAMES = ['Ana', 'Ben', 'Chloé', 'Dario', 'Eva', 'Femi', 'Greta', 'Hugo'];

/** Shield refusal vs origin/network failure, from the final reply. */
export function classify(r: Reply, challengeError: string): { outcome: LegitOutcome; rule: string } {
  if (challengeError !== '') return { outcome: 'refused', rule: r.verdict || 'challenge/unsolved' };
  if (r.error !== '') return { outcome: 'failed', rule: `error/${r.error}` };
  if (r.status >= 200 && r.status < 400) return { outcome: 'served', rule: '' };
  const v = r.verdict;
  if (v === '' || v === 'default/allow') {
    // No verdict: another proxy or the origin. 429/403 are how nginx/HAProxy refuse.
    if (v === '' && (r.status === 429 || r.status === 403)) return { outcome: 'refused', rule: `status/${r.status}` };
    return { outcome: 'failed', rule: `status/${r.status}` };
  }
  if (v === 'origin/unavailable' || v === 'origin/timeout' || v === 'internal/error')
    return { outcome: 'failed', rule: v };
  return { outcome: 'refused', rule: v };
}

export async function runLegitUsers(o: LegitOptions): Promise<void> {
  const first = o.firstIndex ?? 0;
  const users = Array.from({ length: o.users }, (_, k) => first + k);
  await Promise.all(users.map((i) => user(o, i)));
}

async function user(o: LegitOptions, i: number): Promise<void> {
  const b = new Browser(i, o.target, loopbackSource('legit', i), o.solver, o.xffOf ? o.xffOf(i) : '');
  const ramp = o.rampMs ?? 0;
  try {
    if (ramp > 0) await sleepUntil(Math.min(o.until, Date.now() + Math.random() * ramp));
    // A browser caches the assets it was served: one whose loads failed (shield down, shed, refused) loads them again.
    const cache = { assets: false };
    for (let s = 0; s < (o.sessions ?? Infinity) && Date.now() < o.until; s++) {
      const ok = await session(o, b, i, cache);
      if (ok === null) break; // deadline reached mid-session: not counted either way
      if (ok) o.recorder.sessions.completed++;
      else o.recorder.sessions.broken++;
    }
  } finally {
    await b.close();
  }
}

/** One visit; true when every step was served, false on a refusal, null at the deadline. */
async function session(o: LegitOptions, b: Browser, i: number, cache: { assets: boolean }): Promise<boolean | null> {
  let ok = true;
  const step = async (
    kind: Kind,
    method: string,
    path: string,
    body?: string,
    referer = '',
  ): Promise<boolean | null> => {
    if (Date.now() >= o.until) return null;
    const sentAt = Date.now();
    const r: FetchResult = await b.fetch(kind, method, path, body, referer);
    const c = classify(r.reply, r.challengeError);
    o.recorder.legitResult(sentAt, c.outcome, r.ms, c.rule, r.challenged);
    if (c.outcome !== 'served') ok = false;
    return c.outcome === 'served';
  };
  const think = async (): Promise<boolean> => {
    const [lo, hi] = o.thinkMs;
    await sleepUntil(Math.min(o.until, Date.now() + lo + Math.random() * (hi - lo)));
    return Date.now() < o.until;
  };
  if ((await step('page', 'GET', '/')) === null) return null;
  if (!cache.assets) {
    const assets = ['/static/site.css', '/static/app.js', '/static/logo.svg', '/static/hero.svg'];
    const done = await Promise.all(assets.map((a) => step('asset', 'GET', a, undefined, '/')));
    if (done.includes(null)) return null;
    cache.assets = done.every((d) => d === true);
  }
  if (!(await think())) return null;
  if ((await step('page', 'GET', '/materials', undefined, '/')) === null || !(await think())) return null;
  const q = TOPICS[(i + Math.floor(Math.random() * TOPICS.length)) % TOPICS.length];
  if ((await step('page', 'GET', `/search?q=${q}`, undefined, '/materials')) === null || !(await think())) return null;
  if ((await step('page', 'GET', '/donate', undefined, '/')) === null || !(await think())) return null;
  const gift = new URLSearchParams({
    name: `${NAMES[i % NAMES.length]} ${i}`,
    amount: String(5 + (i % 50)),
  }).toString();
  if ((await step('form', 'POST', '/donate', gift, '/donate')) === null) return null;
  if (i % 5 === 0) {
    if (!(await think()) || (await step('page', 'GET', '/login', undefined, '/')) === null || !(await think()))
      return null;
    if ((await step('form', 'POST', '/login', 'user=volunteer&password=riverton', '/login')) === null) return null;
  }
  await think();
  return ok;
}

export function sleepUntil(t: number): Promise<void> {
  const ms = t - Date.now();
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
