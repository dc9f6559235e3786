// Accuracy of the bounded sketches against exact counts (seeded traces, so a
// failure is reproducible): count-min, space-saving, HyperLogLog, plus the
// ring series and EWMA arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountMin } from './count-min.js';
import { SpaceSaving } from './space-saving.js';
import { HyperLogLog } from './hyperloglog.js';
import { RingSeries } from './ring-series.js';
import { Ewma, alphaForHalfLife } from './ewma.js';
import { fnv1a, mix32, queryShapeHash } from './hash.js';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Zipf-like stream: key i drawn with weight 1/(i+1)^s. */
function zipfStream(n: number, keys: number, s: number, seed: number): number[] {
  const r = rng(seed);
  const w = Array.from({ length: keys }, (_, i) => 1 / (i + 1) ** s);
  const cum: number[] = [];
  let acc = 0;
  for (const x of w) cum.push((acc += x));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = r() * acc;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out.push((0xc6336400 + lo) >>> 0); // keys look like addresses in one /16
  }
  return out;
}

function exact(stream: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const k of stream) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

test('count-min never under-counts and stays within e·N/width for most keys', () => {
  const stream = zipfStream(200_000, 20_000, 1.1, 1);
  const cm = new CountMin(2048, 4);
  for (const k of stream) cm.add(k);
  const truth = exact(stream);
  const bound = (Math.E * stream.length) / cm.width;
  let within = 0;
  for (const [k, c] of truth) {
    const e = cm.estimate(k);
    assert.ok(e >= c, `under-count for ${k}: ${e} < ${c}`);
    if (e - c <= bound) within++;
  }
  assert.ok(within / truth.size >= 0.98, `only ${within}/${truth.size} within the bound`);
  assert.equal(cm.bytes, 2048 * 4 * 4);
  assert.equal(cm.total, stream.length);
});

test('count-min halve() ages counts and clear() empties', () => {
  const cm = new CountMin(64, 2);
  cm.add(7, 100);
  cm.halve();
  assert.equal(cm.estimate(7), 50);
  assert.equal(cm.total, 50);
  const other = new CountMin(64, 2);
  other.add(7, 10);
  other.add(9, 3);
  cm.merge(other);
  assert.equal(cm.estimate(7), 60);
  assert.equal(cm.estimate(9), 3);
  assert.equal(cm.total, 63);
  assert.throws(() => cm.merge(new CountMin(128, 2)), RangeError);
  cm.clear();
  assert.equal(cm.estimate(7), 0);
  assert.throws(() => new CountMin(1, 4), RangeError);
});

test('space-saving finds the true top keys with counts within its error bound', () => {
  const stream = zipfStream(100_000, 50_000, 1.2, 2);
  const ss = new SpaceSaving(64);
  for (const k of stream) ss.offer(k, 1, `k${k}`);
  const truth = [...exact(stream).entries()].sort((a, b) => b[1] - a[1]);
  const top = ss.top(10);
  assert.deepEqual(
    top.map((h) => h.key),
    truth.slice(0, 10).map(([k]) => k),
    'top-10 order',
  );
  for (const h of ss.top()) {
    const c = truth.find(([k]) => k === h.key)![1];
    assert.ok(h.count >= c && h.count - h.error <= c, `bounds for ${h.key}: ${h.count}-${h.error} vs ${c}`);
    assert.equal(
      h.label,
      h.error === 0 ? `k${h.key}` : h.label,
      'label kept for entries tracked from their first offer',
    );
  }
  assert.equal(ss.total, stream.length);
  assert.ok(ss.minCount() <= stream.length / 64);
});

test('space-saving keeps the index consistent through many evictions', () => {
  const ss = new SpaceSaving(8);
  const r = rng(3);
  for (let i = 0; i < 50_000; i++) ss.offer(Math.floor(r() * 40), 1);
  // Every tracked key must be findable (index and heap agree).
  for (const h of ss.top()) assert.equal(ss.estimate(h.key), h.count);
  const sum = ss.top().reduce((a, h) => a + h.count, 0);
  assert.equal(sum, 50_000, 'space-saving counts sum to the stream length');
  ss.clear();
  assert.equal(ss.size, 0);
  assert.equal(ss.estimate(3), 0);
});

test('space-saving: a label offered later fills an empty one; weights add', () => {
  const ss = new SpaceSaving(4);
  ss.offer(1, 5);
  ss.offer(1, 2, 'one');
  assert.deepEqual(ss.top(1)[0], { key: 1, count: 7, error: 0, label: 'one' });
});

test('hyperloglog is within 3 standard errors over a range of cardinalities', () => {
  for (const n of [10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
    const h = new HyperLogLog(12);
    for (let i = 0; i < n; i++) h.addKey(0x0a000000 + i);
    const err = Math.abs(h.count() - n) / n;
    assert.ok(err <= 3 * (1.04 / 64), `n=${n}: estimate ${h.count()} (error ${(err * 100).toFixed(2)}%)`);
  }
});

test('hyperloglog merges as the union', () => {
  const a = new HyperLogLog(10);
  const b = new HyperLogLog(10);
  for (let i = 0; i < 5000; i++) a.addKey(i);
  for (let i = 2500; i < 7500; i++) b.addKey(i);
  a.merge(b);
  assert.ok(Math.abs(a.count() - 7500) / 7500 < 0.1, `union ${a.count()}`);
  assert.throws(() => a.merge(new HyperLogLog(12)), RangeError);
  a.clear();
  assert.equal(a.count(), 0);
});

test('ring series keeps the newest values in order', () => {
  const r = new RingSeries(3);
  assert.ok(Number.isNaN(r.last()));
  for (const v of [1, 2, 3, 4, 5]) r.push(v);
  assert.deepEqual(r.toArray(), [3, 4, 5]);
  assert.equal(r.at(0), 5);
  assert.equal(r.at(2), 3);
  assert.ok(Number.isNaN(r.at(3)));
  assert.equal(r.sum(2), 9);
  assert.equal(r.mean(10), 4);
  assert.deepEqual(r.toArray(2), [4, 5]);
});

test('ewma converges to the mean and variance of a stationary signal', () => {
  const e = new Ewma(alphaForHalfLife(200));
  const r = rng(4);
  for (let i = 0; i < 20_000; i++) e.update(100 + (r() - 0.5) * 20); // uniform ±10: variance 33.3
  assert.ok(Math.abs(e.mean - 100) < 2, `mean ${e.mean}`);
  assert.ok(Math.abs(e.variance - 33.3) < 12, `variance ${e.variance}`);
  assert.ok(e.z(160) > 5);
  assert.equal(new Ewma(0.5).n, 0);
  assert.throws(() => new Ewma(0), RangeError);
});

test('hashes: mix32 is a bijection on samples, fnv1a matches a known vector, query shapes ignore values', () => {
  assert.equal(fnv1a('a'), 0xe40c292c);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) seen.add(mix32(i));
  assert.equal(seen.size, 10_000);
  assert.equal(queryShapeHash('q=a8f3&page=2'), queryShapeHash('q=77c1&page=9'));
  assert.notEqual(queryShapeHash('q=a8f3&page=2'), queryShapeHash('x8fj2=1'));
  assert.notEqual(queryShapeHash('x8fj2=1'), queryShapeHash('k2jd9=1'));
  assert.notEqual(queryShapeHash('q=1'), queryShapeHash('q=hello'));
});
