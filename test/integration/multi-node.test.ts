// Two Rampart nodes sharing one real redis-server: a ban made through node A's
// admin API refuses on node B; per-second counts are summed across nodes; when
// Redis dies mid-traffic both nodes keep serving legit users and refusing
// banned ones on their own view, then reconnect and reconcile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { redisSkipReason, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { sendRaw } from '../helpers/raw.js';
import { startShield } from '../helpers/shield.js';

type Node = Awaited<ReturnType<typeof startShield>>;
const skip = redisSkipReason();
const TOKEN = 'multi-node-test-token-0123456789abcdef';
let redis: RedisServer;
let origin: EchoOrigin;
let a: Node;
let b: Node;

before(async () => {
  if (skip) return;
  redis = await startRedis();
  origin = await startEchoOrigin();
  const shared = {
    key_prefix: `mn-${randomUUID()}`,
    url: redis.url,
    sync_interval: '200ms',
    command_timeout: '500ms',
    connect_timeout: '500ms',
  };
  const opts = { state: { backend: 'redis', redis: shared }, admin: { listen: '127.0.0.1:0', token: TOKEN } };
  a = await startShield(origin.url, opts);
  b = await startShield(origin.url, opts);
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await origin?.close();
  await redis?.stop();
});

const get = (node: Node, from = '127.0.0.1') =>
  sendRaw(node.port, 'GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
    localAddress: from,
    quietMs: 2000,
  });
const refusedAsBanned = async (node: Node, from: string) => {
  const r = await get(node, from);
  return r.status !== 200 && /rampart-verdict: ban\//i.test(r.text);
};

async function banThrough(node: Node, target: string): Promise<void> {
  const r = await request(`${node.control.url()}/api/bans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ target, duration: '10m', reason: 'multi-node test' }),
  });
  assert.equal(r.statusCode, 201, await r.body.text());
  await r.body.dump().catch(() => {});
}

if (skip) test('multi-node', (t) => t.skip(skip));
else {
  test('multi-node: a ban made on node A refuses on node B within 2 s', async () => {
    assert.equal((await get(b, '127.0.0.3')).status, 200, 'served before the ban');
    await banThrough(a, '127.0.0.3');
    await waitFor(() => b.state.isBanned('127.0.0.3', Date.now()) !== null, {
      what: 'node B refuses the banned address',
      timeoutMs: 2000,
    });
    assert.ok(await refusedAsBanned(b, '127.0.0.3'), 'node B answers with a ban verdict');
    assert.ok(await refusedAsBanned(a, '127.0.0.3'));
    assert.equal((await get(b)).status, 200, 'others are still served on B');
  });

  test('multi-node: per-second counts are summed across nodes', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    for (let i = 0; i < 15; i++) {
      await get(a);
      await get(b);
    }
    const total = (node: Node) => {
      let n = 0;
      for (let s = since; s <= Math.floor(Date.now() / 1000); s++) n += node.state.globalCounts(s)?.requests ?? 0;
      return n;
    };
    await waitFor(() => total(a) >= 30, { what: 'node A sees both nodes’ requests', timeoutMs: 10_000 });
    await waitFor(() => total(b) >= 30, { what: 'node B sees both nodes’ requests', timeoutMs: 10_000 });
  });

  test('multi-node: Redis killed mid-traffic: both nodes keep defending, then recover and reconcile', async () => {
    await redis.kill();
    await waitFor(() => !a.state.health().connected, { what: 'A says Redis is away', timeoutMs: 10_000 });
    await waitFor(() => !b.state.health().connected, { what: 'B says Redis is away', timeoutMs: 10_000 });
    for (const node of [a, b]) {
      for (let i = 0; i < 5; i++) assert.equal((await get(node)).status, 200, 'legit users are served without Redis');
      assert.ok(await refusedAsBanned(node, '127.0.0.3'), 'the banned address stays refused without Redis');
    }
    await banThrough(a, '127.0.0.4'); // an operator acts during the outage: applies on A at once
    assert.ok(await refusedAsBanned(a, '127.0.0.4'));
    assert.equal((await get(b, '127.0.0.4')).status, 200, 'B cannot know yet');

    await redis.restart(); // empty: no persistence
    await waitFor(() => a.state.health().connected, { what: 'A reconnects', timeoutMs: 20_000 });
    await waitFor(() => b.state.health().connected, { what: 'B reconnects', timeoutMs: 20_000 });
    await waitFor(() => b.state.isBanned('127.0.0.4', Date.now()) !== null, {
      what: 'the outage ban reaches B',
      timeoutMs: 10_000,
    });
    assert.ok(await refusedAsBanned(b, '127.0.0.4'));
    assert.ok(await refusedAsBanned(b, '127.0.0.3'), 'bans from before the outage survive the empty restart');
    assert.ok(a.state.keys()[0].equals(b.state.keys()[0]), 'both nodes sign passes with the same key');
    assert.equal((await get(a)).status, 200);
  });
}
