// Token buckets (GCRA): burst then refill at rate, wait times, costs, per-call
// rates sharing one table, eviction forgetting state (only ever allowing more).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenBuckets } from './token-bucket.js';

test('a burst passes, the next is refused with the wait until one token refills', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 2, burst: 3 });
  const t = 1_000_000;
  assert.deepEqual([b.take(1, t), b.take(1, t), b.take(1, t)], [0, 0, 0]);
  assert.equal(b.take(1, t), 500, '2/s: one token every 500 ms');
  assert.equal(b.take(1, t + 499), 1);
  assert.equal(b.take(1, t + 500), 0, 'refilled one token');
  assert.equal(b.take(1, t + 500), 500);
  assert.equal(b.take(2, t), 0, 'other keys have their own bucket');
});

test('refill is capped at burst', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 10, burst: 5 });
  b.take(9, 0, 5);
  assert.ok(b.remaining(9, 0) < 1e-9);
  assert.equal(b.remaining(9, 250), 2.5);
  assert.equal(b.remaining(9, 60_000), 5, 'a long pause gives a full bucket, not more');
  for (let i = 0; i < 5; i++) assert.equal(b.take(9, 60_000), 0);
  assert.ok(b.take(9, 60_000) > 0);
});

test('an idle key expires by itself once its bucket is full again', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 1, burst: 2 });
  b.take(4, 0);
  assert.equal(b.size(), 1);
  b.take(5, 1000); // touches the table after 4's bucket refilled
  b.remaining(4, 1000);
  assert.equal(b.size(), 1, 'key 4 was reclaimed when found full');
});

test('cost above the burst is refused without storing anything', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 1, burst: 2 });
  assert.equal(b.take(1, 0, 3), 1000);
  assert.equal(b.size(), 0);
});

test('takeWith: different limits share one table, fractional rates work', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 100, burst: 100 });
  const perMinute = 10 / 60; // "10/m"
  for (let i = 0; i < 10; i++) assert.equal(b.takeWith(77, 0, 1, perMinute, 10), 0);
  assert.equal(b.takeWith(77, 0, 1, perMinute, 10), 6000, 'next token in 6 s');
  assert.equal(b.takeWith(78, 0, 1, 100, 100), 0);
});

test('eviction forgets a bucket: the key comes back with a full one (never fewer tokens)', () => {
  const b = createTokenBuckets({ capacity: 2, rate: 1, burst: 1 });
  assert.equal(b.take(1, 0), 0);
  assert.ok(b.take(1, 0) > 0, 'empty');
  b.take(2, 0);
  b.take(3, 0); // evicts key 1 (least recent)
  assert.equal(b.evictions(), 1);
  assert.equal(b.take(1, 0), 0, 'forgotten bucket starts full');
});

test('a flooding key stays recent and keeps being limited while others cycle through', () => {
  const b = createTokenBuckets({ capacity: 100, rate: 1, burst: 5 });
  let refused = 0;
  for (let i = 0; i < 10_000; i++) {
    if (b.take(0xdeadbeef, i) > 0) refused++;
    b.take(i + 1, i); // one new key per step: 10,000 keys through 100 slots
  }
  assert.ok(refused > 9_900, `flooder refused ${refused} of 10000`);
  assert.ok(b.size() <= 100);
});

test('bad rates are refused', () => {
  assert.throws(() => createTokenBuckets({ capacity: 1, rate: 0, burst: 1 }), /rate/);
  assert.throws(() => createTokenBuckets({ capacity: 1, rate: 1, burst: 0.5 }), /burst/);
});

test('debit: charges like a take but never refuses, creates the key, stops one second past empty', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 10, burst: 20 });
  const t = 1_000_000;
  assert.equal(b.debit(3, t, 5, 10, 20), 5, 'an unknown key is created and charged');
  assert.equal(b.size(), 1);
  assert.equal(b.remaining(3, t, 10, 20), 15);
  assert.equal(b.debit(3, t, 15, 10, 20), 15, 'down to empty');
  assert.ok(b.takeWith(3, t, 1, 10, 20) > 0, 'an empty bucket refuses the next take');
  assert.equal(b.debit(3, t, 100, 10, 20), 10, 'only one second of refill (10 tokens) past empty');
  assert.equal(b.remaining(3, t, 10, 20), -10);
  assert.equal(b.debit(3, t, 1, 10, 20), 0, 'at the cap nothing more is charged');
  assert.equal(b.takeWith(3, t, 1, 10, 20), 1100, 'the next token in 1.1 s: one second of debt + one interval');
  assert.equal(b.takeWith(3, t + 1100, 1, 10, 20), 0, 'refills at the rate after the debt');
});

test('debit: a refilled bucket is charged from full; a custom debt bound; debits are not reported as heavy takes', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 1, burst: 4 });
  const notes: number[][] = [];
  b.watch({ note: (key, cost, rate, burst) => notes.push([key, cost, rate, burst]) });
  b.debit(8, 0, 4, 1, 4, 0);
  assert.equal(b.debit(8, 0, 1, 1, 4, 0), 0, 'maxDebtMs 0: never past empty');
  assert.equal(b.remaining(8, 10_000, 1, 4), 4, 'refilled after 10 s, not more than the burst');
  assert.equal(b.debit(8, 10_000, 2, 1, 4, 0), 2);
  assert.deepEqual(notes, [], 'debits are other workers’ usage, never re-reported');
});

test('watch: takes leaving the bucket past half its burst are reported exactly, others sampled at 1/16 of the burst', () => {
  const b = createTokenBuckets({ capacity: 1 << 16, rate: 1, burst: 80 });
  let heavy: number[][] = [];
  let sampled = 0;
  let samples = 0;
  b.watch({
    note(key, cost, rate, burst) {
      if (key === 0xfffffff0) heavy.push([cost, rate, burst]);
      else {
        assert.equal(cost, 5, 'a sample weighs burst/16');
        sampled += cost;
        samples++;
      }
    },
  });
  for (let i = 0; i < 40; i++) b.take(0xfffffff0, 0); // up to half the burst: sampled only
  heavy = []; // the first 40 may have been sampled
  b.take(0xfffffff0, 0);
  b.takeWith(0xfffffff0, 0, 2, 1, 80);
  assert.deepEqual(
    heavy,
    [
      [1, 1, 80],
      [2, 1, 80],
    ],
    'past half: every take, with its cost',
  );
  // 20,000 people, two requests each: nobody gets near half, about 1 in 5 takes is sampled at weight 5.
  for (let i = 0; i < 40_000; i++) b.take(1 + (i >> 1), 0);
  assert.ok(samples > 6000 && samples < 10_000, `${samples} samples of 40000 light takes (expect ~8000)`);
  assert.ok(Math.abs(sampled - 40_000) < 8000, `sampled weight ${sampled} ≈ the 40000 tokens taken`);
  b.take(0xfffffff0, 0, 100); // refused: nothing taken, nothing reported
  assert.equal(heavy.length, 2);
  b.watch(null);
  b.take(0xfffffff0, 0);
  assert.equal(heavy.length, 2, 'unwatched');
});

test('watch: a rule with a burst under 16 is reported take by take', () => {
  const b = createTokenBuckets({ capacity: 16, rate: 1, burst: 15 });
  const notes: number[] = [];
  b.watch({ note: (_key, cost) => notes.push(cost) });
  b.take(1, 0);
  b.take(2, 0, 2);
  assert.deepEqual(notes, [1, 2]);
});
