// The shared-id relay: events of an incident are held until the shared state
// names the incident, then passed on in order under the shared id; a state
// that fails or never answers leaves the local id (after waitMs); no state:
// events pass through untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DetectorEvent } from '../detector/events.js';
import { createIncidentIds, type IncidentJoiner } from './incidents-ids.js';

const start = (id: string, at = 1000) => ({ type: 'attack_start', incidentId: id, at }) as unknown as DetectorEvent;
const update = (id: string, at: number) => ({ type: 'attack_update', incidentId: id, at }) as unknown as DetectorEvent;
const end = (id: string, at: number) => ({ type: 'attack_end', incidentId: id, at }) as unknown as DetectorEvent;
const tick = () => new Promise((r) => setImmediate(r));

function relay(state: IncidentJoiner | null, waitMs = 50) {
  const seen: string[] = [];
  const fallbacks: string[] = [];
  const ids = createIncidentIds({ state, waitMs, onFallback: (id, why) => fallbacks.push(`${id}: ${why}`) });
  ids.subscribe((e) => seen.push(`${e.type}:${e.incidentId}`));
  return { ids, seen, fallbacks };
}

test('events wait for the shared id and pass in order under it', async () => {
  let answer!: (v: { id: string; startedAt: number }) => void;
  const joins: number[] = [];
  const r = relay({
    joinIncident: (at) => {
      joins.push(at);
      return new Promise((res) => {
        answer = res;
      });
    },
  });
  r.ids.onEvent(start('local-1'));
  r.ids.onEvent(update('local-1', 2000));
  assert.deepEqual(r.seen, [], 'held until the state answers');
  answer({ id: 'inc-shared-7', startedAt: 900 });
  await tick();
  r.ids.onEvent(update('local-1', 3000));
  r.ids.onEvent(end('local-1', 4000));
  r.ids.onEvent(update('other', 5000));
  assert.deepEqual(r.seen, [
    'attack_start:inc-shared-7',
    'attack_update:inc-shared-7',
    'attack_update:inc-shared-7',
    'attack_end:inc-shared-7',
    'attack_update:other',
  ]);
  assert.deepEqual(joins, [1000]);
  assert.deepEqual(r.fallbacks, []);
});

test('a failing state leaves the local id, and says why', async () => {
  const r = relay({
    joinIncident: async () => {
      throw new Error('redis down');
    },
  });
  r.ids.onEvent(start('local-2'));
  r.ids.onEvent(update('local-2', 2000));
  await tick();
  assert.deepEqual(r.seen, ['attack_start:local-2', 'attack_update:local-2']);
  assert.match(r.fallbacks[0], /local-2: redis down/);
});

test('a state that never answers: the local id after waitMs', async () => {
  const r = relay({ joinIncident: () => new Promise(() => {}) }, 30);
  r.ids.onEvent(start('local-3'));
  await new Promise((res) => setTimeout(res, 80));
  assert.deepEqual(r.seen, ['attack_start:local-3']);
  assert.match(r.fallbacks[0], /within 30 ms/);
});

test('while the incident runs the slot is touched every 2 s; not after it ended', async () => {
  const joins: number[] = [];
  const r = relay({
    joinIncident: async (at) => {
      joins.push(at);
      return { id: 'inc-s', startedAt: 0 };
    },
  });
  r.ids.onEvent(start('l', 10_000));
  await tick();
  r.ids.tick(11_000);
  r.ids.tick(12_000);
  r.ids.tick(13_000);
  r.ids.tick(14_500);
  r.ids.onEvent(end('l', 15_000));
  r.ids.tick(20_000);
  assert.deepEqual(joins, [10_000, 12_000, 14_500]);
});

test('no shared state: events pass through as they are, at once', () => {
  const r = relay(null);
  r.ids.onEvent(start('mine'));
  assert.deepEqual(r.seen, ['attack_start:mine']);
});
