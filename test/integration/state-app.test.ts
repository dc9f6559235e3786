// The app creates one memory state from `state:`, exposes it as app.state,
// keeps it across reloads and passes its signing keys to the challenge stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { loadConfigObject } from '../../src/config/load.js';

test('app.state: one memory state per app, started with it and kept across reloads', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, { state: { key_rotation: '12h', max_bans: 500 } });
  try {
    assert.equal(app.state.health().backend, 'memory');
    assert.equal(app.state.health().connected, true);
    const keys = app.state.keys();
    assert.equal(keys[0].length, 32);
    app.state.addBan({
      target: '203.0.113.0/24',
      rule: 'ban/manual',
      createdAt: Date.now(),
      until: Date.now() + 60_000,
      reason: 'test',
      source: 'manual',
    });
    await app.reload(
      loadConfigObject({
        listen: '127.0.0.1:0',
        origin: origin.url,
        hosts: ['127.0.0.1'],
        data_dir: app.config.dataDir, // its own, not the shared ./data
      }),
    );
    assert.notEqual(app.state.isBanned('203.0.113.9', Date.now()), null, 'the reload kept the bans');
    assert.ok(app.state.keys()[0].equals(keys[0]), 'the reload kept the signing keys');
  } finally {
    await app.stop();
    await origin.close();
  }
});

test('state config: bad keys are refused with a hint', () => {
  const base = { origin: 'http://127.0.0.1:1', hosts: ['a.test'] };
  assert.throws(
    () => loadConfigObject({ ...base, state: { backend: 'etcd' } }),
    /state\.backend must be memory or redis/,
  );
  assert.throws(() => loadConfigObject({ ...base, state: { key_rotation: '1m' } }), /key_rotation under 10m.*hint/s);
  assert.throws(() => loadConfigObject({ ...base, state: { max_bans: 5 } }), /max_bans/);
  assert.throws(() => loadConfigObject({ ...base, state: { banz: 1 } }), /banz/);
  const ok = loadConfigObject(base);
  const { redis, ...rest } = ok.state;
  assert.deepEqual(rest, { backend: 'memory', keyRotation: 86_400_000, maxBans: 100_000, maxMitigations: 1000 });
  assert.equal(redis.url, 'redis://127.0.0.1:6379');
  assert.throws(() => loadConfigObject({ ...base, state: { redis: { url: 'http://x' } } }), /not a redis URL.*hint/s);
  assert.throws(() => loadConfigObject({ ...base, state: { redis: { sentinels: ['nohost'] } } }), /HOST:PORT/);
  const r = loadConfigObject({
    ...base,
    state: {
      backend: 'redis',
      redis: {
        url: 'rediss://u:p@r.example:6380/2',
        key_prefix: 'x',
        sentinels: ['10.0.0.5:26379'],
        sync_interval: '500ms',
      },
    },
  });
  assert.deepEqual([...r.state.redis.sentinels], [{ host: '10.0.0.5', port: 26379 }]);
  assert.equal(r.state.redis.syncInterval, 500);
});
