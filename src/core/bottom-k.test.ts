import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BottomK, bottomKError, mergeSamples } from './bottom-k.js';
import { mix32 } from './hash.js';

test('bottom-k keeps the k smallest hashes with their labels', () => {
  const s = new BottomK(64);
  const hashes: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const h = mix32(i + 1);
    hashes.push(h);
    s.add(h, i % 3, i);
  }
  const kept = s.export();
  assert.equal(kept.length, 64 * 3);
  const got = [...Array(64).keys()].map((i) => kept[3 * i]).sort((a, b) => a - b);
  assert.deepEqual(got, hashes.sort((a, b) => a - b).slice(0, 64));
  for (let i = 0; i < 64; i++) assert.equal(mix32(kept[3 * i + 2] + 1), kept[3 * i], 'labels travel with their hash');
});

test('two workers seeing overlapping sources: the merge counts each source once per label (exact under k)', () => {
  const w1 = new BottomK(4096);
  const w2 = new BottomK(4096);
  // 2,000 sources, 40/30/30 over labels 1/2/3; each worker sees 80% of them, the same source in both mostly.
  for (let i = 0; i < 2000; i++) {
    const label = i < 800 ? 1 : i < 1400 ? 2 : 3;
    if (i % 5 !== 0) w1.add(mix32(i), label, 100 + label);
    if (i % 5 !== 1) w2.add(mix32(i), label, 100 + label);
  }
  const m = mergeSamples([w1.export(), w2.export()], 4096);
  assert.equal(m.saturated, false);
  assert.equal(m.distinct, 2000);
  assert.deepEqual([m.byA.get(1), m.byA.get(2), m.byA.get(3)], [800, 600, 600]);
  assert.equal(m.byB.get(101), 800);
});

test('past k the union is an estimate within its stated error', () => {
  const k = 1024;
  const parts = [new BottomK(k), new BottomK(k), new BottomK(k)];
  const n = 60_000;
  for (let i = 0; i < n; i++) {
    const label = i % 10 < 4 ? 1 : 2;
    parts[i % 3].add(mix32(i * 7 + 3), label, 0);
    if (i % 2 === 0) parts[(i + 1) % 3].add(mix32(i * 7 + 3), label, 0); // half the sources reach two workers
  }
  const m = mergeSamples(
    parts.map((p) => p.export()),
    k,
  );
  assert.equal(m.saturated, true);
  const err = bottomKError(k);
  assert.ok(Math.abs(m.distinct - n) / n < 5 * err, `distinct ${m.distinct} vs ${n} (±${(err * 100).toFixed(1)}%)`);
  const de = m.byA.get(1)!;
  assert.ok(Math.abs(de - 0.4 * n) / (0.4 * n) < 5 * bottomKError(k, 0.4), `label 1: ${de} vs ${0.4 * n}`);
  assert.ok(m.byA.get(1)! + m.byA.get(2)! <= m.distinct + 1, 'labels never add up to more than the whole');
});
