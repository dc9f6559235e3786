// Query parameter names nobody sent lately (window.ts `novelNames`,
// composition.ts `novelNames`), on synthetic traces with a driven clock: a
// shield started into a crowd of cookie-keeping browsers whose cache-busting
// queries carry random names is an attack within seconds, with no history;
// a site whose links and forms use many combinations of names (a faceted
// search) is nothing, from its first second and across a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_COOKIE } from '../core/model.js';
import { queryNameHashes } from '../core/hash.js';
import { SeenSources } from './seen-sources.js';
import { driveDetector, T0 } from './drive.test.js';
import { fact, legitSecond, newsletterSecond } from './trace.js';
import { type Observed, SecondWindow } from './window.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FACETS = ['color', 'size', 'sort', 'brand', 'price', 'page'];

const run = (second: (sec: number, r: () => number, out: Observed[]) => void, seconds: number) =>
  driveDetector(seconds, second, { seed: 41 });

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

/** A shop's faceted search: each request some combination of the six facets, `p` each (63 combinations), ~`rps` a second. */
function facetedSecond(rps: number, r: () => number, out: Observed[], facets = FACETS, p = 0.35): void {
  for (let i = 0; i < rps; i++) {
    const parts: string[] = [];
    for (const f of facets) if (r() < p) parts.push(`${f}=${Math.floor(r() * 20)}`);
    if (parts.length === 0) parts.push('page=1');
    out.push(fact(0x0a000000 + Math.floor(r() * 3000) * 7, '/shop', { ua: CHROME, query: parts.join('&') }));
  }
}

const namesOf = (q: string) => {
  const out = new Uint32Array(8);
  return [...out.subarray(0, queryNameHashes(q, out))];
};

test('query names: one hash per name; values and digit runs do not change them, random names do', () => {
  assert.deepEqual(namesOf('q=water&page=2'), namesOf('q=bikes&page=19'));
  assert.equal(namesOf('q=water&page=2').length, 2);
  assert.deepEqual(namesOf('page=2&q=water'), namesOf('q=x&page=1').reverse(), 'the same names in another order');
  assert.deepEqual(namesOf('1701234567'), namesOf('1701239999'), 'a timestamp as a bare key');
  assert.deepEqual(namesOf('item3=a'), namesOf('item12=b'), 'numbered names are one name');
  assert.notDeepEqual(namesOf('x8fj2'), namesOf('k3j9x'));
  assert.notDeepEqual(namesOf('kQzPa=1'), namesOf('LmWtq=1'));
  assert.deepEqual(namesOf('&&a=1&'), namesOf('a=2'), 'empty parameters are no names');
  assert.equal(namesOf('a&b&c&d&e&f&g&h&i&j').length, 8, 'at most as many as the space given');
});

test('the window counts a request as novel when one of its names was not seen lately, from its first second', () => {
  const w = new SecondWindow(new SeenSources());
  const now = (s: number) => T0 + s * 1000;
  const names = (q: string) => w.observe(fact(0x0a000001, '/search', { query: q }));
  names('zq=1&color=red');
  assert.equal(w.novelNames, 1, 'at a start every name is new');
  w.open(now(1));
  names('color=blue&zq=5');
  names('zq=2&color=x');
  assert.equal(w.novelNames, 0, 'known names, in any order, are not novel');
  names('color=red&ef=1');
  assert.equal(w.novelNames, 1, 'one new name among known ones is');
  w.open(now(30));
  w.open(now(45));
  names('zq=3');
  assert.equal(w.novelNames, 1, 'forgotten after two generations (10–20 s) without it');
});

test('a shield started into a cookie-keeping crowd sending random query names: an attack within 3 s, named cache_busting; the same crowd under the site names is not found this way', () => {
  const busting = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    bustingCrowd(sec, 45, r, out, true);
  }, 30);
  assert.notEqual(busting.start, undefined, 'the random names are an attack');
  assert.ok(busting.startSecond <= 3, `found in second ${busting.startSecond}`);
  const v = busting.start!.vectors.find((x) => x.vector === 'cache_busting');
  assert.notEqual(v, undefined, busting.start!.vectors.map((x) => x.vector).join(', '));
  assert.ok((v!.figures.novelNames ?? 0) >= 10, JSON.stringify(v!.figures));
  assert.match(v!.reason, /parameter names not seen in the last 10 s/);
  const named = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    bustingCrowd(sec, 45, r, out, false);
  }, 30);
  assert.equal(
    named.start?.vectors.find((x) => x.reason.includes('parameter names')),
    undefined,
  );
});

test('random names on every request at 3 × min_rps: an attack in the second second, not the first; a newsletter’s utm_ names at that rate, at a start or warm, are none', () => {
  const every = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    for (let i = 0; i < 60; i++) {
      const token = Math.floor(r() * 2 ** 40).toString(36);
      out.push(
        fact(0xac100000 + ((sec * 60 + i) % 600) * 13 + 1, '/', {
          ua: CHROME,
          query: token,
          clientState: CLIENT_COOKIE,
          seenAt: T0,
        }),
      );
    }
  }, 10);
  assert.equal(every.startSecond, 1, 'the first second every name is new, the site’s too; the tool’s stay new');
  for (const startAt of [0, 40]) {
    const letter = run((sec, r, out) => {
      legitSecond(r, 8, out, 300);
      if (sec >= startAt) newsletterSecond(r, sec === startAt ? 60 : 25, sec * 100, out);
    }, startAt + 15);
    assert.equal(letter.start, undefined, `newsletter from second ${startAt}`);
  }
});

test('a faceted search of 63 name combinations at 200 requests/s: no attack from its first second, nor when it begins after 20 idle seconds', () => {
  const shop = run((_sec, r, out) => facetedSecond(200, r, out), 40);
  assert.equal(shop.start, undefined, 'a first start');
  const restarted = run((sec, r, out) => (sec < 20 ? undefined : facetedSecond(200, r, out)), 45);
  assert.equal(restarted.start, undefined, 'traffic arriving at a shield that waited');
});

test('an API of 40 parameter names, each request a few of them, at 40 requests/s: no attack from its first second', () => {
  const names = Array.from({ length: 40 }, (_, i) => `field_${String.fromCharCode(97 + (i % 26))}${i < 26 ? '' : 'x'}`);
  const api = run((_sec, r, out) => facetedSecond(40, r, out, names, 0.08), 40);
  assert.equal(api.start, undefined);
});

test('peek: nothing is novel to a book with under two seconds of traffic; then a name not seen lately is, and peeking learns nothing', () => {
  const w = new SecondWindow(new SeenSources());
  const names = (q: string) => w.observe(fact(0x0a000001, '/', { query: q }));
  w.open(T0 + 1000);
  assert.equal(w.queryNames.peek('x8fj2'), false, 'no traffic yet');
  names('q=water');
  w.open(T0 + 2000);
  assert.equal(w.queryNames.peek('x8fj2'), false, 'one second of traffic: the site may not have sent its names yet');
  w.open(T0 + 3000);
  assert.equal(w.queryNames.peek('x8fj2'), true, 'two seconds: a name not seen lately');
  assert.equal(w.queryNames.peek('q=bikes'), false, "the site's name");
  assert.equal(w.queryNames.peek('x8fj2'), true, 'peeking learned nothing');
  names('x8fj2');
  assert.equal(w.queryNames.peek('x8fj2'), false, 'a request with it, refused or served, teaches it');
});

test('pulses of random query names: the first pulse brings a challenge of novel names, armed through the quiet phase, for the random names only', () => {
  // Pulses of 4 s every 15 s (on at seconds 10–13, 25–28), over people using the site's names.
  const pulse = (sec: number) => sec >= 10 && (sec - 10) % 15 < 4;
  const driven = run((sec, r, out) => {
    legitSecond(r, 8, out, 300);
    for (let i = 0; i < 6; i++)
      out.push(fact(0x0a010000 + Math.floor(r() * 200), '/search', { ua: CHROME, query: `q=w${i}&page=${sec}` }));
    if (pulse(sec)) bustingCrowd(sec, 90, r, out, true);
  }, 26);
  const names = driven.actions.find((a) => a.action.rule === 'mitigate/challenge-names');
  assert.notEqual(names, undefined, driven.actions.map((a) => a.action.rule).join(', '));
  const at = (names!.at - T0) / 1000;
  assert.ok(at >= 11 && at <= 14, `put at second ${at}, within the first pulse`);
  assert.match(names!.action.reason, /parameter name not seen in the last 10 s/);
  // Second 26: the second pulse's first second has just been observed; the mitigation put in the first is live.
  const live = driven.state.mitigations().find((m) => m.rule === 'mitigate/challenge-names');
  assert.notEqual(live, undefined, 'still armed after the quiet phase');
  assert.equal(live!.match.novelNames, true);
  assert.ok(live!.until > T0 + 26_000);
  assert.deepEqual([live!.match.paths, live!.match.fingerprints, live!.match.routeClasses], [[], [], []], 'any path');
  assert.equal(driven.detector.novelQuery('zq81kx'), true, 'a random name');
  assert.equal(driven.detector.novelQuery('q=anything&page=2'), false, "the site's names");
});
