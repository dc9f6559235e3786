// Two Rampart nodes (full apps) sharing state through a real redis-server:
// the signing keys come from shared state, so a pass earned on one node opens
// the other, and a mode set on one node (under attack) challenges on both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { solve } from '../../src/challenge/pow.js';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { redisSkipReason, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startShield } from '../helpers/shield.js';
import { fetchRaw, pageParams, passOf } from '../e2e/helpers/challenge-client.js';

const skip = redisSkipReason();

describe('challenge passes across two nodes sharing Redis', { skip: skip || false }, () => {
  let redis: RedisServer;
  let origin: EchoOrigin;
  let a: Awaited<ReturnType<typeof startShield>>;
  let b: Awaited<ReturnType<typeof startShield>>;

  before(async () => {
    redis = await startRedis();
    origin = await startEchoOrigin();
    const state = {
      backend: 'redis',
      redis: { url: redis.url, key_prefix: `t-${randomUUID()}`, sync_interval: '100ms' },
    };
    const challenge = { difficulty: { elevated: 8, under_attack: 8, manual: 8 } };
    a = await startShield(origin.url, { state, challenge });
    b = await startShield(origin.url, { state, challenge });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await origin?.close();
    await redis?.stop();
  });

  test('under attack on both nodes; a pass from node A opens node B', async () => {
    await waitFor(() => a.state.keys()[0].equals(b.state.keys()[0]), { what: 'both nodes use the same signing key' });
    a.state.overrideMode('under_attack');
    await waitFor(() => b.state.mode() === 'under_attack', { what: 'node B sees the mode' });
    assert.equal((await fetchRaw(b.port, '/x')).status, 403, 'node B challenges too');
    const p = pageParams((await fetchRaw(a.port, '/x')).body);
    const body = new URLSearchParams({
      challenge: p.token,
      solution: String(solve(p.seed, p.bits)),
      return: '/x',
    }).toString();
    const v = await fetchRaw(a.port, '/.rampart/challenge/verify', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(v.status, 303);
    const pass = passOf(String(v.headers['set-cookie']));
    const onB = await fetchRaw(b.port, '/x', { headers: { cookie: pass } });
    assert.equal(onB.status, 200);
    assert.equal(JSON.parse(onB.body).url, '/x');
    assert.equal(b.challengeStats()!.passesAccepted, 1);
    a.state.overrideMode(null);
  });
});
