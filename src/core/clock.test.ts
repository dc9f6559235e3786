import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from './clock.js';

test('manual clock: every() runs at each due time on the way, with the time set to it', () => {
  const clock = createManualClock(10_000);
  const seen: number[] = [];
  clock.every(1000, (now) => seen.push(now));
  clock.advance(999);
  assert.deepEqual(seen, []);
  clock.advance(2500);
  assert.deepEqual(seen, [11_000, 12_000, 13_000]);
  assert.equal(clock.now(), 13_499);
});

test('manual clock: two callbacks run in due order, and a cancelled one no more', () => {
  const clock = createManualClock(0);
  const seen: string[] = [];
  const cancel = clock.every(1000, (now) => seen.push(`a${now}`));
  clock.every(1500, (now) => seen.push(`b${now}`));
  clock.advance(3000);
  assert.deepEqual(seen, ['a1000', 'b1500', 'a2000', 'a3000', 'b3000']);
  cancel();
  clock.advance(1000);
  assert.deepEqual(seen.slice(5), []);
});

test('manual clock: set() runs a due callback once, at the new time', () => {
  const clock = createManualClock(0);
  const seen: number[] = [];
  clock.every(1000, (now) => seen.push(now));
  clock.set(5000);
  assert.deepEqual(seen, [5000]);
  clock.advance(1000);
  assert.deepEqual(seen, [5000, 6000]);
});
