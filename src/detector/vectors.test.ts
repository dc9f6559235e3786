// Vector names on synthetic traces (manual clock): a donate flood is a
// form_flood and a login flood login_stuffing; a pulse's tail seconds (a
// burst's stragglers after it stopped) are not low_and_slow, while a steady
// trickle from many sources still is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Vector } from './events.js';
import { driveDetector } from './drive.test.js';
import { BOT, fact, legitSecond, spread } from './trace.js';
import type { Observed } from './window.js';

function drive(seconds: number, traffic: (sec: number, r: () => number) => Observed[]) {
  const d = driveDetector(
    seconds,
    (sec, r, out) => {
      for (const o of traffic(sec, r)) out.push(o);
    },
    { seed: 11 },
  );
  /** Every vector named in any second of the incident. */
  const named = new Set<Vector>();
  for (const e of d.events)
    if (e.type === 'attack_start' || e.type === 'attack_update') for (const v of e.vectors) named.add(v.vector);
  return { start: d.start, named, startSecond: d.startSecond };
}

test('vector names follow the route class: a donate flood is form_flood, a login flood login_stuffing', () => {
  const flood = (cls: 'donate' | 'login') =>
    drive(100, (sec, r) => {
      const out = legitSecond(r, 25);
      if (sec >= 90)
        spread(
          200,
          400,
          (src) =>
            fact(src, `/${cls}`, { routeClass: cls, fp: BOT.fp, ua: BOT.ua, status: cls === 'login' ? 401 : 200 }),
          out,
        );
      return out;
    });
  const donate = flood('donate');
  const dv = donate.start!.vectors.map((v) => v.vector);
  assert.ok(dv.includes('form_flood') && !dv.includes('login_stuffing'), dv.join());
  assert.match(donate.start!.vectors.find((v) => v.vector === 'form_flood')!.reason, /^donate route: \d+ requests\/s/);
  const login = flood('login');
  const lv = login.start!.vectors.map((v) => v.vector);
  assert.ok(lv.includes('login_stuffing') && !lv.includes('form_flood'), lv.join());
});

test('a pulse with stragglers after each burst: pulse_wave, never low_and_slow', () => {
  // 2 s at 2,500/s, 1 s of 60 stragglers, 3 s off; three times.
  const d = drive(140, (sec, r) => {
    const out = legitSecond(r, 25);
    const k = sec - 120;
    if (k >= 0 && k < 18) {
      const phase = k % 6;
      if (phase < 2)
        spread(2500, 1000, (src) => fact(src, '/search', { query: 'q=water', fp: BOT.fp, ua: BOT.ua }), out);
      else if (phase === 2)
        spread(60, 60, (src) => fact(src, '/search', { query: 'q=water', fp: BOT.fp, ua: BOT.ua }), out);
    }
    return out;
  });
  assert.equal(d.startSecond, 120);
  assert.ok(d.named.has('pulse_wave'), [...d.named].join());
  assert.ok(!d.named.has('low_and_slow'), [...d.named].join());
});
