// The memory backend against the conformance suite, plus its caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../core/clock.js';
import { ban, CONFORMANCE_T0, mitigation, runConformance } from './conformance.js';
import { createMemoryState } from './memory.js';
import { decodeMitigation } from './redis-codec.js';

runConformance(
  'memory',
  async ({ keyRotation }) => {
    const clock = createManualClock(CONFORMANCE_T0);
    const a = createMemoryState({ now: clock.now, keyRotation, sweepInterval: 10 });
    await a.start();
    return { a, b: null, advance: clock.advance, now: clock.now, close: () => a.close() };
  },
  { secondNode: false },
);

test('memory: bans are capped; the oldest automatic ban is evicted first', () => {
  const s = createMemoryState({ now: () => CONFORMANCE_T0, maxBans: 3 });
  s.addBan(ban('192.0.2.1'));
  s.addBan(ban('192.0.2.2', undefined, { source: 'auto', rule: 'ban/auto-flood' }));
  s.addBan(ban('192.0.2.3', undefined, { source: 'auto', rule: 'ban/auto-flood' }));
  s.addBan(ban('192.0.2.4', undefined, { source: 'auto', rule: 'ban/auto-flood' }));
  assert.deepEqual(
    s.bans().map((b) => b.target),
    ['192.0.2.1', '192.0.2.3', '192.0.2.4'],
  );
  s.addBan(ban('192.0.2.3')); // replacing does not evict
  assert.equal(s.bans().length, 3);
  assert.equal(s.view.banTable.evicted, 1);
});

test('memory: mitigations are capped', () => {
  const s = createMemoryState({ now: () => CONFORMANCE_T0, maxMitigations: 2 });
  for (const id of ['a', 'b', 'c']) s.putMitigation(mitigation(id));
  assert.deepEqual(
    s.mitigations().map((m) => m.id),
    ['b', 'c'],
  );
});

test('a mitigation whose match carries a field this version does not know is refused, not applied more broadly; from the store it is skipped', () => {
  const s = createMemoryState({ now: () => CONFORMANCE_T0 });
  const newer = mitigation('n', undefined, { action: 'challenge', rule: 'mitigate/challenge-future' });
  const future = { ...newer, match: { ...newer.match, futureNarrowing: true } };
  assert.throws(() => s.putMitigation(future), /match field "futureNarrowing" is not known to this version/);
  assert.deepEqual(s.mitigations(), [], 'nothing was put');
  assert.equal(decodeMitigation(JSON.stringify(future)), null, 'read from the store: skipped');
  const known = { ...newer, match: { ...newer.match, moved: true, novelNames: true, newSince: CONFORMANCE_T0 } };
  s.putMitigation(known);
  assert.deepEqual(
    s.mitigations().map((m) => m.id),
    ['n'],
  );
  assert.equal(decodeMitigation(JSON.stringify(known))?.id, 'n');
});

test('memory: counters ignore seconds older than the window and non-numbers', () => {
  const s = createMemoryState({ countSeconds: 10 });
  s.addCounts(1000, { r: 1 });
  s.addCounts(1015, { r: 1, bad: Number.NaN, worse: 'x' as unknown as number });
  s.addCounts(1000, { r: 5 });
  assert.equal(s.globalCounts(1000), null, 'second 1000 left the window: neither read nor written');
  assert.deepEqual(s.globalCounts(1015), { r: 1 });
});

test('memory: a throwing onChange listener does not break writes', () => {
  const s = createMemoryState();
  let seen = 0;
  s.onChange(() => {
    throw new Error('listener bug');
  });
  s.onChange(() => seen++);
  s.setMode('elevated');
  assert.equal(s.mode(), 'elevated');
  assert.equal(seen, 1);
});
