// Query parameter names nobody sent lately (window.ts `novelNames`,
// composition.ts `novelNames`), on synthetic traces with a driven clock: a
// shield started into a crowd of cookie-keeping browsers whose cache-busting
// queries carry random names is an attack within seconds, with no history;
// a site whose links and forms use many combinations of names (a faceted
// search) is nothing, from its first second and across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { CLIENT_COOKIE } from '../core/model.js';
import { queryNamesHash } from '../core/hash.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import type { AttackStartEvent, DetectorEvent } from './events.js';
import { SeenSources } from './seen-sources.js';
import { fact, legitSecond, rng } from './trace.js';
import { type Observed, SecondWindow } from './window.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FACETS = ['color', 'size', 'sort', 'brand', 'price', 'page'];

function run(second: (sec: number, r: () => number, out: Observed[]) => void, seconds: number) {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const detector = createDetector(camelize(detectorSchema.parse({})), { state });
  const events: DetectorEvent[] = [];
  detector.onEvent((e) => events.push(e));
  const r = rng(41);
  for (let sec = 0; sec < seconds; sec++) {
    const out: Observed[] = [];
    second(sec, r, out);
    for (const o of out) detector.observe(o);
    t = T0 + (sec + 1) * 1000;
    detector.tick(t);
  }
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  return { start, startSecond: start ? (start.sample.t - T0) / 1000 : -1 };
}

/** `rps` requests from a crowd of 600 cookie-keeping browsers: a third `/?<random>`, the rest random values under the site's names. */
function bustingCrowd(sec: number, rps: number, r: () => number, out: Observed[], randomNames: boolean): void {
  for (let i = 0; i < rps; i++) {
    const token = Math.floor(r() * 2 ** 40).toString(36);
    const k = i % 3;
    const [path, query] =
      k === 0
        ? ['/', randomNames ? token : `ref=${token}`]
        : k === 1
          ? ['/materials', `v=${token}`]
          : ['/search', `q=${token}`];
    out.push(
      fact(0xac100000 + ((sec * rps + i) % 600) * 13 + 1, path, {
        ua: CHROME,
        query,
        clientState: CLIENT_COOKIE,
        seenAt: T0,
      }),
    );
  }
}

/** A shop's faceted search: each request some combination of the six facets (63 combinations), ~`rps` a second. */
function facetedSecond(rps: number, r: () => number, out: Observed[]): void {
  for (let i = 0; i < rps; i++) {
    const parts: string[] = [];
    for (const f of FACETS) if (r() < 0.35) parts.push(`${f}=${Math.floor(r() * 20)}`);
    if (parts.length === 0) parts.push('page=1');
    out.push(fact(0x0a000000 + Math.floor(r() * 3000) * 7, '/shop', { ua: CHROME, query: parts.join('&') }));
  }
}

test("query names: a site's values and digit runs do not change them, random names do", () => {
  assert.equal(queryNamesHash('q=water&page=2'), queryNamesHash('q=bikes&page=19'));
  assert.equal(queryNamesHash('1701234567'), queryNamesHash('1701239999'), 'a timestamp as a bare key');
  assert.equal(queryNamesHash('item3=a'), queryNamesHash('item12=b'), 'numbered names are one name');
  assert.notEqual(queryNamesHash('x8fj2'), queryNamesHash('k3j9x'));
  assert.notEqual(queryNamesHash('kQzPa=1'), queryNamesHash('LmWtq=1'));
  assert.notEqual(queryNamesHash('q=a&page=1'), queryNamesHash('q=a'));
});

test('the window counts names as novel once it has watched three seconds with queries, and never a repeated one', () => {
  const w = new SecondWindow(new SeenSources());
  const now = (s: number) => T0 + s * 1000;
  const names = (q: string) => w.observe(fact(0x0a000001, '/search', { query: q }));
  names('zq81=1');
  assert.equal(w.novelNames, 0, 'the first seconds learn the site');
  for (const [s, name] of ['ab', 'cd', 'ef'].entries()) {
    w.open(now(s + 1));
    names(`${name}=1`);
  }
  assert.equal(w.novelNames, 1, 'from the fourth second on, a name never sent before');
  names('q=climate');
  names('q=vote');
  names('q=events');
  assert.equal(w.novelNames, 2, 'one name set, new once');
  w.open(now(4));
  names('zq81=2');
  assert.equal(w.novelNames, 0, 'seen in the first second: still known');
  w.open(now(30));
  w.open(now(45));
  names('zq81=3');
  assert.equal(w.novelNames, 1, 'forgotten after two generations (10–20 s) without it');
});

test('a shield started into a cookie-keeping crowd sending random query names: an attack within 6 s, named cache_busting; the same crowd under the site names is not found this way', () => {
  const busting = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    bustingCrowd(sec, 45, r, out, true);
  }, 30);
  assert.notEqual(busting.start, undefined, 'the random names are an attack');
  assert.ok(busting.startSecond <= 6, `found in second ${busting.startSecond}`);
  const v = busting.start!.vectors.find((x) => x.vector === 'cache_busting');
  assert.notEqual(v, undefined, busting.start!.vectors.map((x) => x.vector).join(', '));
  assert.ok((v!.figures.novelNames ?? 0) >= 10, JSON.stringify(v!.figures));
  assert.match(v!.reason, /query parameter names not seen in the last 10 s/);
  const named = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    bustingCrowd(sec, 45, r, out, false);
  }, 30);
  assert.equal(
    named.start?.vectors.find((x) => x.reason.includes('parameter names')),
    undefined,
  );
});

test('a faceted search of 63 name combinations at 200 requests/s: no attack from its first second, nor when it begins after 20 idle seconds', () => {
  const shop = run((_sec, r, out) => facetedSecond(200, r, out), 40);
  assert.equal(shop.start, undefined, 'a first start');
  const restarted = run((sec, r, out) => (sec < 20 ? undefined : facetedSecond(200, r, out)), 45);
  assert.equal(restarted.start, undefined, 'traffic arriving at a shield that waited');
});
