// The detector after idle seconds (a demo waiting for its drill, a site at
// night): the warm-up counts only seconds with traffic, and share lifts are not
// judged against a baseline of a few requests; the first real visitors — even
// a rush on the donate form — are not an attack, while a flood after them is.
// Manual clock, synthetic traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import type { AttackStartEvent, DetectorEvent } from './events.js';
import { BOT, fact, legitSecond, rng, spread } from './trace.js';
import type { Observed } from './window.js';

const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Drives `seconds` seconds; `traffic(sec, r)` returns that second's requests. */
function drive(
  seconds: number,
  traffic: (sec: number, r: () => number) => Observed[],
  overrides: Record<string, unknown> = {},
) {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const detector = createDetector(camelize(detectorSchema.parse(overrides)), { state });
  const events: DetectorEvent[] = [];
  detector.onEvent((e) => events.push(e));
  const r = rng(7);
  const warmAt: number[] = [];
  for (let sec = 0; sec < seconds; sec++) {
    for (const o of traffic(sec, r)) detector.observe(o);
    t = T0 + (sec + 1) * 1000;
    detector.tick(t);
    warmAt.push(detector.snapshot().warm ? 1 : 0);
  }
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  return {
    events,
    state,
    detector,
    start,
    startSecond: start ? (start.sample.t - T0) / 1000 : -1,
    firstWarm: warmAt.indexOf(1),
  };
}

/** The first visitors of a drill: browsers, many of them on the donate form (GET, then POST), some pages. */
function formRush(sec: number, r: () => number): Observed[] {
  const out: Observed[] = [];
  for (let i = 0; i < 23; i++)
    out.push(fact(0x7f0a0000 + ((sec * 23 + i) % 50), '/donate', { routeClass: 'donate', ua: CHROME, fp: 0x1a2b3c99 }));
  legitSecond(r, 3, out);
  return out;
}

test('idle seconds do not count toward the warm-up', () => {
  const d = drive(40, (sec, r) => (sec < 30 ? [] : legitSecond(r, 25)), { warmup: '5s' });
  assert.equal(
    d.detector.snapshot().baseline.learnedSeconds,
    9,
    'learning lags a second: seconds 30..38, never the idle ones',
  );
  assert.ok(d.firstWarm >= 35, `warm at second ${d.firstWarm}, before 5 seconds of traffic were learned`);
});

test('after idle seconds, the first visitors rushing the donate form are not an attack', () => {
  const d = drive(60, (sec, r) => (sec < 30 ? [] : sec < 34 ? formRush(sec, r) : legitSecond(r, 25)), { warmup: '5s' });
  assert.equal(
    d.start,
    undefined,
    `attack started at ${d.startSecond}: ${d.start?.vectors.map((v) => v.reason).join('; ')}`,
  );
  assert.equal(d.state.mitigations().length, 0);
});

test('after idle seconds and a warm-up on real visitors, a donate-form rush of browsers is not judged by shares of a thin baseline', () => {
  // Warm on 6 s of light traffic (under SHARE_SUPPORT requests), then the rush.
  const d = drive(
    60,
    (sec, r) => (sec < 30 ? [] : sec < 37 ? legitSecond(r, 4) : sec < 41 ? formRush(sec, r) : legitSecond(r, 8)),
    { warmup: '5s' },
  );
  assert.equal(
    d.start,
    undefined,
    `attack started at ${d.startSecond}: ${d.start?.vectors.map((v) => v.reason).join('; ')}`,
  );
});

test('after idle seconds and a short warm-up, a botnet flood is still detected in its first second', () => {
  const d = drive(
    52,
    (sec, r) => {
      const out = sec < 30 ? [] : legitSecond(r, 25);
      if (sec >= 45) spread(1500, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
      return out;
    },
    { warmup: '8s' },
  );
  assert.equal(d.startSecond, 45);
  const vectors = d.start!.vectors.map((v) => v.vector);
  assert.ok(vectors.includes('distributed_flood'), vectors.join());
  assert.ok(!vectors.includes('form_flood') && !vectors.includes('login_stuffing'), vectors.join());
  assert.ok(d.state.mitigations().some((m) => m.match.fingerprints.includes(BOT.fp)));
});

test('warm and well supported: returning visitors all on the donate form at an ordinary total rate are not an attack', () => {
  // The drill's first sessions reach GET/POST /donate together; a donation appeal does the same.
  const rush = (r: () => number): Observed[] => {
    const out: Observed[] = [];
    for (let i = 0; i < 26; i++)
      out.push(fact(0x0a000000 + Math.floor(r() * 3000) * 7, '/donate', { routeClass: 'donate' }));
    return legitSecond(r, 3, out);
  };
  const d = drive(140, (sec, r) => (sec >= 120 && sec < 126 ? rush(r) : legitSecond(r, 25)));
  assert.equal(
    d.start,
    undefined,
    `attack started at ${d.startSecond}: ${d.start?.vectors.map((v) => v.reason).join('; ')}`,
  );
});

test('a donate flood from a tool is still a form_flood at an ordinary total rate', () => {
  const d = drive(130, (sec, r) => {
    const out = legitSecond(r, 25);
    if (sec >= 120)
      spread(40, 60, (src) => fact(src, '/donate', { routeClass: 'donate', fp: BOT.fp, ua: BOT.ua }), out);
    return out;
  });
  assert.equal(d.startSecond, 120);
  assert.ok(
    d.start!.vectors.some((v) => v.vector === 'form_flood'),
    d.start!.vectors.map((v) => v.vector).join(),
  );
});

test('a quiet night then the morning rush of ordinary visitors is not an attack', () => {
  // One visitor every few seconds all night, then 30 page views/s.
  const d = drive(900, (sec, r) => (sec < 600 ? (r() < 0.3 ? legitSecond(r, 1) : []) : legitSecond(r, 30)));
  assert.equal(
    d.start,
    undefined,
    `attack started at ${d.startSecond}: ${d.start?.vectors.map((v) => v.reason).join('; ')}`,
  );
});

test('seconds whose mix shifted while the volume was up are not learned (a trickle never becomes the norm)', () => {
  // Three seconds of +70 % requests from a browser build never seen before: the fingerprint test fires, the
  // volume is up, under any flood threshold (tools the site never sees would be an attack at +50 %).
  const NEW_BROWSER = {
    fp: 0x1a2b3cff,
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0 Safari/537.36',
  };
  const run = (until: number) =>
    drive(until, (sec, r) => {
      const out = legitSecond(r, 25);
      if (sec >= 60 && sec < 63)
        spread(40, 3000, (src) => fact(src + sec * 977, '/search', { query: 'q=1', ...NEW_BROWSER }), out);
      return out;
    });
  const before = run(60);
  const after = run(66);
  assert.equal(after.start, undefined, 'not an attack');
  // Of the 6 seconds 59..64 that could be learned by then, the shifted 60..62 (and 59, learned only if 60 was calm) are not.
  const learned =
    after.detector.snapshot().baseline.learnedSeconds - before.detector.snapshot().baseline.learnedSeconds;
  assert.ok(learned <= 2, `${learned} seconds learned: shifted ones among them`);
});
