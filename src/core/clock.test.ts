import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCoarseClock, createManualClock, everyAligned } from './clock.js';

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

test('everyAligned: one call per boundary (multiple of the interval plus the phase), missed ones skipped, none after cancel', async () => {
  const interval = 20;
  const phase = 7;
  const boundaries: number[] = [];
  const keep = setInterval(() => {}, 1000); // the aligned timer is unref'd
  await new Promise<void>((resolve) => {
    const cancel = everyAligned(interval, phase, (due) => {
      const now = Date.now();
      // The boundary it was scheduled for: the wall clock at the call may be a millisecond early or, on a
      // loaded machine, more than half an interval late (rounding it once made two calls one boundary).
      assert.equal((due - phase) % interval, 0, `${due} is a boundary`);
      boundaries.push((due - phase) / interval);
      // The third call blocks the loop past two boundaries: they are skipped, not run in a burst.
      if (boundaries.length === 3) while (Date.now() < now + 2 * interval + 5);
      if (boundaries.length === 6) {
        cancel();
        setTimeout(resolve, 3 * interval);
      }
    });
  });
  clearInterval(keep);
  assert.equal(boundaries.length, 6, 'no call after cancel');
  for (let i = 1; i < boundaries.length; i++) assert.ok(boundaries[i] > boundaries[i - 1], `boundary ${i} repeats`);
  assert.ok(boundaries[3] - boundaries[2] >= 3, `the blocked call's missed boundaries are skipped: ${boundaries}`);
});

test('coarse clock: every() with a phase runs on wall-clock boundaries', async () => {
  const clock = createCoarseClock(5);
  const seen: number[] = [];
  const keep = setInterval(() => {}, 1000);
  await new Promise<void>((resolve) => {
    const cancel = clock.every(
      25,
      (now) => {
        seen.push(now);
        if (seen.length === 3) {
          cancel();
          resolve();
        }
      },
      10,
    );
  });
  clock.stop();
  clearInterval(keep);
  const slots = seen.map((t) => Math.round((t - 10) / 25));
  assert.deepEqual(
    slots.map((s, i) => (i === 0 ? 0 : s - slots[i - 1] > 0 ? 1 : 0)),
    [0, 1, 1],
    `one call per boundary: ${seen}`,
  );
});
