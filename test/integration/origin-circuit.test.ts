// The circuit breaker end to end, manual clock: opens after repeated origin
// failures (503s, refused connections), refuses without asking the origin
// (`origin/circuit-open`, branded 503 + Retry-After) or serves the stale copy,
// probes half-open, reopens for longer when a probe fails, closes when healthy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../src/core/clock.js';
import { get, startProtected, startTestOrigin } from './origin-kit.js';

const breaker = {
  admission: { concurrency: 8 },
  circuit: { failures: 3, open_for: '5s', max_open_for: '20s', probes: 1 },
};

test('closed → open on repeated 503s → half-open probe fails → longer open → probe succeeds → closed', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(1_800_000_000_000);
  const app = await startProtected(origin.url, breaker, clock);
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.fail('503');
  for (let i = 0; i < 3; i++) assert.equal((await get(app.base, `/p${i}`)).status, 503);
  let s = app.admissionStats()!;
  assert.equal(s.circuit?.state, 'open');
  assert.match(s.circuit!.reason, /3 consecutive origin failures/);
  const refused = await get(app.base, '/p3');
  assert.equal(refused.status, 503);
  assert.equal(refused.verdict, 'origin/circuit-open');
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.match(refused.body, /protected by Rampart/);
  assert.equal(origin.hits('/p3'), 0, 'the origin was not asked');

  clock.advance(5_000);
  assert.equal((await get(app.base, '/probe1')).status, 503, 'the probe reaches the failing origin');
  assert.equal(origin.hits('/probe1'), 1);
  s = app.admissionStats()!;
  assert.equal(s.circuit?.state, 'open');
  assert.match(s.circuit!.reason, /probe failed; open for 10s/);
  clock.advance(5_000);
  assert.equal(
    (await get(app.base, '/still')).verdict,
    'origin/circuit-open',
    'open twice as long after a failed probe',
  );

  origin.fail('ok');
  clock.advance(5_000);
  assert.equal((await get(app.base, '/probe2')).status, 200);
  s = app.admissionStats()!;
  assert.equal(s.circuit?.state, 'closed');
  assert.equal(s.circuitState, 0);
  assert.equal(s.circuitOpened, 2);
  assert.equal((await get(app.base, '/after')).status, 200);
});

test('with the origin stopped, cached pages stay available and the rest gets the branded page', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(1_800_000_000_000);
  const app = await startProtected(origin.url, breaker, clock);
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/', { headers: { 'cache-control': 'max-age=10' }, body: 'home' });
  await get(app.base, '/');
  clock.advance(20_000);
  await origin.stop();
  const statuses = [];
  for (let i = 0; i < 3; i++) statuses.push((await get(app.base, `/x${i}`)).verdict);
  assert.deepEqual(statuses, ['origin/unavailable', 'origin/unavailable', 'origin/unavailable']);
  assert.equal(app.admissionStats()!.circuit?.state, 'open');
  const home = await get(app.base, '/');
  assert.equal(home.status, 200);
  assert.equal(home.verdict, 'cache/stale');
  assert.equal(home.body, 'home');
  const other = await get(app.base, '/donate');
  assert.equal(other.status, 503);
  assert.equal(other.verdict, 'origin/circuit-open');
  assert.match(other.body, /The site is very busy/);
  await origin.restart();
  clock.advance(5_000);
  assert.equal((await get(app.base, '/donate')).status, 200, 'the probe finds the origin back');
  assert.equal(app.admissionStats()!.circuit?.state, 'closed');
});

test('a stale copy served for an origin 503 still counts as an origin failure', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(1_800_000_000_000);
  const app = await startProtected(origin.url, breaker, clock);
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/', { headers: { 'cache-control': 'max-age=1' }, body: 'home' });
  await get(app.base, '/');
  clock.advance(2_000);
  origin.fail('503');
  for (let i = 0; i < 3; i++) assert.equal((await get(app.base, '/')).verdict, 'cache/stale');
  assert.equal(origin.hits('/'), 4);
  assert.equal(app.admissionStats()!.circuit?.state, 'open');
  assert.equal((await get(app.base, '/')).verdict, 'cache/stale');
  assert.equal(origin.hits('/'), 4, 'open: served without asking the origin');
});
