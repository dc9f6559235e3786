// People without JavaScript (NoJsClient): regulars browse campaign-site
// sessions until the deadline — home with its stylesheets and images on the
// first visit, materials, a search, the donate form (GET, think, POST: only
// when the page was served, a browser cannot submit a form it never got), the
// volunteer login for one in five — and newsletter readers arrive once, read
// one or two pages, some donate, and leave. Every navigation's outcome goes to
// the CampaignRecorder. Bounded: `users` clients (2 connections each), all
// stopped at `until`.
import { loopbackSource } from './addresses.js';
import type { CampaignRecorder } from './campaign-recorder.js';
import { sleepUntil } from './legit.js';
import { assetsOf, navOutcome, NoJsClient } from './nojs-client.js';
import { browserProfile, type FetchKind } from './profiles.js';
import type { Target } from './target.js';

export interface NoJsUsersOptions {
  target: Target;
  users: number;
  /** Person ids (recorder, profile) start here; readers come after the regulars. */
  firstIndex?: number;
  /** Loopback source of person i (default: its own /24 in the legit pool). */
  addressOf?: (i: number) => string;
  recorder: CampaignRecorder;
  until: number;
  thinkMs: readonly [number, number];
  /** regular: sessions until the deadline; reader: one newsletter visit. */
  visit: 'regular' | 'reader';
  /** Arrivals spread uniformly over this many ms from now. */
  rampMs?: number;
  xffOf?: (i: number) => string;
}

const TOPICS = ['water', 'schools', 'buses', 'housing', 'parks', 'energy', 'clinics', 'bikes'];
const NAMES = ['Ana', 'Ben', 'Chloé', 'Dario', 'Eva', 'Femi', 'Greta', 'Hugo'];
const LANDINGS = ['/', '/', '/materials', '/search?q=water', '/donate'];

export async function runNoJsUsers(o: NoJsUsersOptions): Promise<void> {
  const first = o.firstIndex ?? 0;
  await Promise.all(Array.from({ length: o.users }, (_, k) => person(o, first + k)));
}

/** One person's browser and the steps it takes; `null` from a step: the deadline passed. */
class Visitor {
  private readonly assetsDone = new Set<string>();
  constructor(
    readonly i: number,
    readonly c: NoJsClient,
    private readonly o: NoJsUsersOptions,
  ) {}

  async step(kind: FetchKind, method: string, path: string, body?: string, referer = ''): Promise<boolean | null> {
    const done = this.assetsDone;
    if (Date.now() >= this.o.until) return null;
    const sentAt = Date.now();
    const n = await this.c.navigate(kind, method, path, body, referer);
    const r = navOutcome(n);
    this.o.recorder.nav('nojs', this.i, sentAt, r.outcome, n.ms, r.rule, n.checked);
    if (r.outcome === 'served' && kind === 'page') {
      // A browser loads the page's stylesheets and images, once (then they are cached); one that was
      // not served (refused, shed, failed) is not cached and is asked for again with the next page.
      const todo = assetsOf(n.reply.body).filter((a) => !done.has(a));
      for (const a of todo) done.add(a);
      const served = await Promise.all(todo.map((a) => this.step('asset', 'GET', a, undefined, n.path)));
      for (let k = 0; k < todo.length; k++) if (served[k] === false) done.delete(todo[k]);
    }
    return r.outcome === 'served';
  }

  async think(): Promise<boolean> {
    const [lo, hi] = this.o.thinkMs;
    await sleepUntil(Math.min(this.o.until, Date.now() + lo + Math.random() * (hi - lo)));
    return Date.now() < this.o.until;
  }
}

async function person(o: NoJsUsersOptions, i: number): Promise<void> {
  const c = new NoJsClient(o.target, (o.addressOf ?? ((k) => loopbackSource('legit', k)))(i), browserProfile(i), {
    xff: o.xffOf?.(i),
  });
  const v = new Visitor(i, c, o);
  try {
    if (o.rampMs) await sleepUntil(Math.min(o.until, Date.now() + Math.random() * o.rampMs));
    if (o.visit === 'reader') return void (await reader(v));
    while (Date.now() < o.until && (await regular(v)) !== null);
  } finally {
    await c.close();
  }
}

/** One regular session; null at the deadline. */
async function regular(v: Visitor): Promise<true | null> {
  const i = v.i;
  const q = TOPICS[(i + Math.floor(Math.random() * TOPICS.length)) % TOPICS.length];
  const gift = new URLSearchParams({
    name: `${NAMES[i % NAMES.length]} ${i}`,
    amount: String(5 + (i % 50)),
  }).toString();
  const steps: [FetchKind, string, string, string | undefined, string][] = [
    ['page', 'GET', '/', undefined, ''],
    ['page', 'GET', '/materials', undefined, '/'],
    ['page', 'GET', `/search?q=${q}`, undefined, '/materials'],
    ['page', 'GET', '/donate', undefined, '/'],
    ['form', 'POST', '/donate', gift, '/donate'],
  ];
  if (i % 5 === 0)
    steps.push(
      ['page', 'GET', '/login', undefined, '/'],
      ['form', 'POST', '/login', 'user=volunteer&password=riverton', '/login'],
    );
  let formLoaded = false;
  for (const [kind, method, path, body, referer] of steps) {
    // A browser cannot submit a form whose page it never got (refused, failed, the shield down): the
    // person sees the error and goes on browsing, as the Chromium users do (chromium-users.ts).
    if (kind === 'form' && !formLoaded) continue;
    const served = await v.step(kind, method, path, body, referer);
    if (served === null || !(await v.think())) return null;
    formLoaded = served && kind === 'page';
  }
  return true;
}

/** A newsletter reader: lands on the linked page, maybe reads another, one in four donates. */
async function reader(v: Visitor): Promise<void> {
  const landing = LANDINGS[v.i % LANDINGS.length];
  if (
    (await v.step('page', 'GET', `${landing}${landing.includes('?') ? '&' : '?'}utm_source=newsletter`)) === null ||
    !(await v.think())
  )
    return;
  if (Math.random() < 0.6) {
    if (
      (await v.step('page', 'GET', landing === '/materials' ? '/' : '/materials', undefined, landing)) === null ||
      !(await v.think())
    )
      return;
  }
  if (v.i % 4 === 0) {
    const form = await v.step('page', 'GET', '/donate', undefined, landing);
    if (form !== true || !(await v.think())) return;
    await v.step(
      'form',
      'POST',
      '/donate',
      new URLSearchParams({ name: `Reader ${v.i}`, amount: '10' }).toString(),
      '/donate',
    );
  }
}
