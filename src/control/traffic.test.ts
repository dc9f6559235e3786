// The traffic recorder driven second by second with a manual clock: series
// alignment, verdict arrays, distinct-source estimate, latency quantiles,
// skipped seconds zeroed, fixed caps on rules, top lists and windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../core/clock.js';
import { RequestContext, verdict, ALLOW } from '../core/model.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Traffic } from './traffic.js';

const T0 = 1_700_000_000_000;
const BAN = verdict('ban/manual', 'deny', 403);

function ctx(
  ip: number,
  opts: { v?: typeof ALLOW; originMs?: number; path?: string; at: number; routeClass?: string },
): RequestContext {
  const c = new RequestContext({} as IncomingMessage, {} as ServerResponse);
  c.clientKey = ip;
  c.prefixKey = (ip & 0xffffff00) >>> 0;
  c.clientIp = `10.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  c.verdict = opts.v ?? ALLOW;
  c.originMs = opts.originMs ?? -1;
  c.path = opts.path ?? '/';
  c.startedAt = opts.at;
  c.routeClass = opts.routeClass ?? 'page';
  return c;
}

test('series: one point per complete second, verdict arrays aligned, skipped seconds zero', () => {
  const clock = createManualClock(T0);
  let mode = 'normal';
  const t = new Traffic({ now: clock.now, mode: () => mode });
  for (let i = 0; i < 10; i++) t.observe(ctx(i, { at: clock.now(), originMs: 4 }));
  clock.advance(1000);
  for (let i = 0; i < 3; i++) t.observe(ctx(100 + i, { at: clock.now(), v: BAN }));
  mode = 'under_attack';
  clock.advance(3000); // two silent seconds, then the current one
  const s = t.series(4);
  assert.equal(s.seconds.length, 4);
  assert.deepEqual(
    s.seconds.map((x) => x - T0 / 1000),
    [0, 1, 2, 3],
  );
  assert.deepEqual(s.total, [10, 3, 0, 0]);
  assert.deepEqual(s.byVerdict['default/allow'], [10, 0, 0, 0]);
  assert.deepEqual(s.byVerdict['ban/manual'], [0, 3, 0, 0]);
  assert.deepEqual(s.sources, [10, 3, 0, 0]);
  assert.deepEqual(s.originP50, [5, null, null, null]); // 4 ms falls in the ≤5 ms bucket
  assert.deepEqual(s.mode, ['normal', 'under_attack', 'under_attack', 'under_attack']);
});

test('distinct sources: linear counting stays within 5% at 2000 addresses, repeats do not count', () => {
  const clock = createManualClock(T0);
  const t = new Traffic({ now: clock.now });
  for (let r = 0; r < 3; r++) for (let i = 0; i < 2000; i++) t.observe(ctx(0x0a000000 + i * 7919, { at: T0 }));
  clock.advance(1000);
  const est = t.series(1).sources[0];
  assert.ok(Math.abs(est - 2000) / 2000 < 0.05, `estimate ${est}`);
});

test('latency quantiles per second use bucket upper bounds', () => {
  const clock = createManualClock(T0);
  const t = new Traffic({ now: clock.now });
  for (let i = 0; i < 90; i++) t.observe(ctx(i, { at: T0, originMs: 20 }));
  for (let i = 0; i < 10; i++) t.observe(ctx(i, { at: T0, originMs: 800 }));
  clock.advance(1000);
  const s = t.series(1);
  assert.deepEqual([s.originP50[0], s.originP95[0]], [25, 1000]);
  const tot = t.totals();
  assert.equal(tot.originCount, 100);
  assert.equal(tot.originSum, 90 * 20 + 10 * 800);
});

test('verdict rules and route classes are capped: extras fold into "other"', () => {
  const clock = createManualClock(T0);
  const t = new Traffic({ now: clock.now });
  for (let i = 0; i < 100; i++)
    t.observe(ctx(1, { at: T0, v: verdict(`limit/rule-${i}`, 'limit', 429), routeClass: `class-${i}` }));
  const tot = t.totals();
  assert.ok(tot.rules.length <= 64);
  assert.ok(tot.classes.length <= 32);
  assert.ok(tot.rules.includes('other'));
  assert.equal(
    tot.counts.reduce((a, b) => a + b, 0),
    100,
  );
});

test('top lists: heavy prefixes and paths rank first; the window rotates every minute', () => {
  const clock = createManualClock(T0);
  const t = new Traffic({ now: clock.now });
  for (let i = 0; i < 500; i++) t.observe(ctx(0x0a010200 + (i % 50), { at: clock.now(), path: '/login' }));
  for (let i = 0; i < 300; i++) t.observe(ctx(0x0b000000 + i * 256, { at: clock.now(), path: `/p/${i}` })); // 300 distinct /24s
  const top = t.top();
  assert.equal(top.prefixes[0].key, '10.1.2.0/24');
  assert.ok(Math.abs(top.prefixes[0].count - 500) <= 4, `sampled 1 in 4: ${top.prefixes[0].count}`);
  assert.equal(top.paths[0].key, '/login');
  assert.ok(top.prefixes.length <= 10);
  clock.advance(61_000);
  for (let i = 0; i < 8; i++) t.observe(ctx(5, { at: clock.now(), path: '/fresh' }));
  const young = t.top(); // a young window shows the previous complete one
  assert.equal(young.paths[0].key, '/login');
  clock.advance(20_000);
  assert.equal(t.top().paths[0].key, '/fresh');
});
