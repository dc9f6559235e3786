import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startDemoOrigin } from '../demo/origin.js';
import type { PathStrategy } from './campaign.js';
import { plannedHeaders, plannedRequest, shapeAt, walkId } from './plan-requests.js';
import { browserHeaders, browserProfile } from './profiles.js';

test('walked ids: numeric 1..5000, 16 hex digits, UUIDs; sequential ones distinct and in order, random ones scattered', () => {
  assert.deepEqual(
    [0, 1, 2].map((s) => walkId('numeric', 'sequential', 9, s)),
    ['1', '2', '3'],
  );
  assert.equal(walkId('hex', 'sequential', 9, 0), '0000000000000001');
  assert.equal(walkId('uuid', 'sequential', 9, 254), '00000000-0000-4000-8000-0000000000ff');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/;
  for (let s = 0; s < 500; s++) {
    const n = Number(walkId('numeric', 'random', 9, s));
    assert.ok(Number.isInteger(n) && n >= 1 && n <= 5000);
    assert.match(walkId('hex', 'random', 9, s), /^[0-9a-f]{16}$/);
    assert.match(walkId('uuid', 'random', 9, s), uuid);
    assert.match(walkId('uuid', 'sequential', 9, s), uuid);
  }
  assert.equal(new Set(Array.from({ length: 500 }, (_, s) => walkId('hex', 'random', 9, s))).size, 500);
  assert.equal(walkId('uuid', 'random', 9, 7), walkId('uuid', 'random', 9, 7), 'deterministic');
  assert.notEqual(walkId('uuid', 'random', 9, 7), walkId('uuid', 'random', 10, 7), 'the seed matters');
});

test('headers: browser-exact is exactly a legit browser profile; rotating changes per request; floods look like tools', () => {
  assert.deepEqual(
    plannedHeaders({ headers: 'browser-exact' }, 17, 3, 'page'),
    browserHeaders(browserProfile(0), 'page'),
  );
  assert.deepEqual(
    plannedHeaders({ headers: 'browser-per-source' }, 17, 3, 'page'),
    plannedHeaders({ headers: 'browser-per-source' }, 17, 99, 'page'),
  );
  assert.notDeepEqual(
    plannedHeaders({ headers: 'rotating-browsers' }, 17, 3, 'page'),
    plannedHeaders({ headers: 'rotating-browsers' }, 17, 4, 'page'),
  );
  // A source's own requests are `sources` apart in seq: they rotate too, whatever the source count.
  for (const sources of [5, 10, 170]) {
    const uas = new Set<string>();
    for (let k = 0; k < 20; k++)
      uas.add(plannedHeaders({ headers: 'rotating-browsers' }, 3, 3 + k * sources, 'page')[1]);
    assert.ok(uas.size >= 3, `source 3 of ${sources} used ${uas.size} user agents in 20 requests`);
  }
  assert.match(plannedHeaders({ headers: 'flood-tool' }, 1, 0, 'page')[1], /python-requests/);
  assert.ok(plannedHeaders({ headers: 'flood-tool' }, 1, 0, 'form').includes('application/x-www-form-urlencoded'));
});

test('time shapes: steady, pulse on/off, ramp up', () => {
  const pulse = { kind: 'pulse', onS: 2, offS: 3 } as const;
  assert.deepEqual(
    [0, 1999, 2000, 4999, 5000].map((t) => shapeAt(pulse, t)),
    [1, 1, 0, 0, 1],
  );
  const ramp = { kind: 'ramp', overS: 10 } as const;
  assert.deepEqual(
    [5000, 10_000, 20_000].map((t) => shapeAt(ramp, t)),
    [0.5, 1, 1],
  );
  assert.equal(shapeAt({ kind: 'steady' }, 123), 1);
});

test('every path strategy asks for routes the demo origin serves (random paths: 404; stuffed logins: 401)', async () => {
  const origin = await startDemoOrigin({ searchCpuMs: 0 });
  try {
    const want: [PathStrategy, number][] = [
      [{ kind: 'hot' }, 200],
      [{ kind: 'random-query' }, 200],
      [{ kind: 'random-path' }, 404],
      [{ kind: 'legit-mix' }, 200],
      [{ kind: 'login' }, 401],
      [{ kind: 'donate' }, 200],
      ...(['numeric', 'hex', 'uuid'] as const).flatMap((id) =>
        (['sequential', 'random'] as const).map((order): [PathStrategy, number] => [
          { kind: 'id-walk', id, order },
          200,
        ]),
      ),
    ];
    for (const [p, status] of want) {
      for (let seq = 0; seq < 12; seq++) {
        const r = plannedRequest(p, 5, seq);
        const res = await request(`${origin.url}${r.path}`, {
          method: r.method as 'GET',
          body: r.body,
          headers: r.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        });
        await res.body.dump();
        assert.equal(res.statusCode, status, `${JSON.stringify(p)} ${r.method} ${r.path}`);
      }
    }
    const routes = origin.stats().byRoute;
    assert.ok(routes.donors > 0 && routes.receipts > 0 && routes.volunteers > 0, JSON.stringify(routes));
  } finally {
    await origin.close();
  }
});
