// The redis backend against the conformance suite (two nodes on one real
// redis-server), then what happens when Redis dies and comes back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createManualClock } from '../../src/core/clock.js';
import { ban, CONFORMANCE_T0, runConformance } from '../../src/state/conformance.js';
import { waitFor } from '../helpers/wait.js';
import { createRedisState, type RedisStateOptions } from '../../src/state/redis.js';
import { redisSkipReason, startRedis, type RedisServer } from '../helpers/redis-server.js';

const skip = redisSkipReason();
let redis: RedisServer | null = null;

before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

function node(extra: Partial<RedisStateOptions> = {}) {
  return createRedisState({
    url: redis!.url,
    syncInterval: 50,
    commandTimeout: 500,
    connectTimeout: 500,
    startTimeout: 3000,
    ...extra,
  });
}

if (skip) {
  test('redis backend', (t) => t.skip(skip));
} else {
  runConformance(
    'redis',
    async ({ keyRotation }) => {
      const clock = createManualClock(CONFORMANCE_T0);
      const keyPrefix = `t-${randomUUID()}`;
      const a = node({ now: clock.now, keyRotation, keyPrefix });
      const b = node({ now: clock.now, keyRotation, keyPrefix });
      await a.start();
      await b.start();
      const close = async () => {
        await a.close();
        await b.close();
      };
      return { a, b, advance: clock.advance, now: clock.now, close };
    },
    { secondNode: true },
  );

  test('redis: Redis killed: nodes keep their view, say so, keep writes, and reconcile after a restart', async () => {
    const keyPrefix = `t-${randomUUID()}`;
    const a = node({ keyPrefix });
    const b = node({ keyPrefix });
    await a.start();
    await b.start();
    try {
      const until = Date.now() + 600_000;
      a.addBan(ban('198.51.100.1', until));
      a.setMode('under_attack');
      await waitFor(() => b.isBanned('198.51.100.1', Date.now()) !== null, { what: 'ban on b' });
      const keys = b.keys()[0];

      await redis!.kill();
      await waitFor(() => !a.health().connected, { what: 'a notices' });
      await waitFor(() => !b.health().connected && b.health().error !== '', { what: 'b notices' });
      assert.notEqual(b.isBanned('198.51.100.1', Date.now()), null, 'b still refuses the banned address');
      assert.equal(b.mode(), 'under_attack');
      b.addBan(ban('198.51.100.2', until)); // made while Redis is away
      a.removeBan('198.51.100.1');
      assert.equal(a.isBanned('198.51.100.1', Date.now()), null, 'local writes apply at once');
      await assert.rejects(a.nextId('incident'), /unreachable/);

      await redis!.restart(); // empty: no persistence
      await waitFor(() => a.health().connected, { what: 'a reconnects', timeoutMs: 15_000 });
      await waitFor(() => b.health().connected, { what: 'b reconnects', timeoutMs: 15_000 });
      await waitFor(() => a.isBanned('198.51.100.2', Date.now()) !== null, {
        what: 'b’s outage ban reaches a',
        timeoutMs: 10_000,
      });
      await waitFor(() => b.isBanned('198.51.100.1', Date.now()) === null, {
        what: 'a’s outage unban reaches b',
        timeoutMs: 10_000,
      });
      assert.equal(a.mode(), 'under_attack', 'the restarted store was reseeded, not wiped');
      assert.equal(b.mode(), 'under_attack');
      assert.ok(a.keys()[0].equals(b.keys()[0]), 'both nodes sign with the same key again');
      assert.ok(b.keys()[0].equals(keys), 'the key survived the store restart');
      assert.equal(a.stats().outbox, 0);
      assert.ok((await a.nextId('incident')) >= 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('redis: a node started while Redis is unreachable defends locally, then joins', async () => {
    const a = createRedisState({
      url: 'redis://127.0.0.1:1',
      syncInterval: 50,
      connectTimeout: 200,
      startTimeout: 300,
    });
    await a.start();
    try {
      const h = a.health();
      assert.equal(h.backend, 'redis');
      assert.equal(h.connected, false);
      assert.match(h.error, /not reachable at start|ECONNREFUSED/);
      a.addBan(ban('192.0.2.77', Date.now() + 60_000));
      assert.notEqual(a.isBanned('192.0.2.77', Date.now()), null);
      assert.equal(a.stats().outbox, 1, 'the write waits in the outbox');
    } finally {
      await a.close();
    }
  });
}
