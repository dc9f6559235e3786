import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SurgeGuard } from './surge-guard.js';

const T = 1_800_000_000_000;

/** `perSecond` first requests a second, spread evenly, from `from` for `seconds`. */
function feed(g: SurgeGuard, from: number, seconds: number, perSecond: number): void {
  for (let i = 0; i < seconds * perSecond; i++) g.fresh(from + Math.floor((i * 1000) / perSecond));
}

test('surge guard: a crowd of new clients trips it at once; it holds 10 s after the last crowded slot', () => {
  const trips: number[] = [];
  const g = new SurgeGuard(100, (count) => trips.push(count));
  feed(g, T, 60, 4); // a site's usual newcomers: 4 a second
  assert.equal(g.active(T + 60_000), false);
  feed(g, T + 60_000, 1, 2000); // a botnet's first second
  assert.equal(trips.length, 1, 'one trip, not one per request');
  assert.ok(trips[0] >= 25, `tripped at ${trips[0]} new clients in a 250 ms slot`);
  assert.ok(g.active(T + 61_000));
  assert.ok(g.since >= T + 59_750 && g.since <= T + 60_000, `surge since ${g.since - T}`);
  assert.ok(g.active(T + 70_500), 'held 10 s after the crowd');
  assert.equal(g.active(T + 71_100), false, 'and released after');
  assert.equal(g.since, 0);
});

test('surge guard: a newsletter of people arriving at 40/s does not trip it; a site whose newcomers are many needs 8 times as many', () => {
  const g = new SurgeGuard(100);
  feed(g, T, 30, 3);
  feed(g, T + 30_000, 15, 40);
  assert.equal(g.trips, 0, 'under the floor of 25 per 250 ms');
  const busy = new SurgeGuard(100);
  feed(busy, T, 120, 200); // a big site: 200 newcomers a second as a matter of course
  assert.equal(busy.trips, 1, 'the first second of a cold start trips it once (no usual count yet)');
  const quiet = busy.trips;
  feed(busy, T + 120_000, 20, 600);
  assert.equal(busy.trips, quiet, '3× the usual is not a crowd');
  feed(busy, T + 140_000, 1, 5000);
  assert.equal(busy.trips, quiet + 1, '25× is');
});
