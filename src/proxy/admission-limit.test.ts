import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedLimit, GradientLimit } from './admission-limit.js';

const opts = { initial: 4, min: 4, max: 200, tolerance: 2, windowSamples: 10, windowMs: 1000, minSamples: 5 };

function run(
  l: GradientLimit,
  windows: number,
  rtt: (limit: number) => number,
  inFlight = (limit: number) => limit,
  failed = false,
) {
  let now = 0;
  for (let w = 0; w < windows; w++)
    for (let i = 0; i < 10; i++) l.sample(rtt(l.get()), failed, inFlight(l.get()), (now += 10));
}

test('a fixed limit does not move', () => {
  const l = fixedLimit(8);
  l.sample(5000, true, 8, 0);
  assert.equal(l.get(), 8);
});

test('steady latency under full use: the limit grows, up to max', () => {
  const l = new GradientLimit(opts);
  run(l, 200, () => 10);
  assert.equal(l.get(), 200);
});

test('app-limited (less than half in use): the limit does not grow', () => {
  const l = new GradientLimit(opts);
  run(
    l,
    50,
    () => 10,
    () => 1,
  );
  assert.equal(l.get(), 4);
});

test('latency rising with load: the limit settles near the knee, far below max', () => {
  // An origin that serves 8 at once; beyond that requests queue and latency grows linearly.
  const l = new GradientLimit(opts);
  run(l, 300, (limit) => 10 * Math.max(1, limit / 8));
  assert.ok(l.get() >= 8 && l.get() <= 24, `limit ${l.get()} near the knee (8–24)`);
});

test('failures cut the limit multiplicatively, never below min', () => {
  const l = new GradientLimit({ ...opts, initial: 100 });
  run(l, 1, () => 10, undefined, true);
  assert.ok(l.get() < 100 && l.get() >= 90, `one bad window: ${l.get()}`);
  run(l, 100, () => 10, undefined, true);
  assert.equal(l.get(), 4);
});
