// The challenge driven by shared state through the full app: the attack mode
// turns `require: under_attack` on and off and sets the difficulty; observe
// enforcement counts instead of challenging; two apps sharing one state (two
// nodes) accept each other's passes, also across a signing-key rotation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../src/core/clock.js';
import { solve } from '../../src/challenge/pow.js';
import { createMemoryState, type MemoryState } from '../../src/state/index.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { fetchRaw, pageParams, passOf } from '../e2e/helpers/challenge-client.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const DIFFICULTY = { elevated: 5, under_attack: 7, manual: 6 };

describe('challenge and shared state through the full app', () => {
  let origin: EchoOrigin;
  const clock = createManualClock(T0);
  let state: MemoryState;
  let a: Awaited<ReturnType<typeof startShield>>;
  let b: Awaited<ReturnType<typeof startShield>>;

  before(async () => {
    origin = await startEchoOrigin();
    state = createMemoryState({ now: clock.now, keyRotation: 0 });
    await state.start();
    a = await startShield(origin.url, { challenge: { difficulty: DIFFICULTY } }, { clock, state });
    b = await startShield(origin.url, { challenge: { difficulty: DIFFICULTY, require: 'elevated' } }, { clock, state });
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await state.close();
    await origin.close();
  });

  async function earn(port: number, path: string): Promise<string> {
    const p = pageParams((await fetchRaw(port, path)).body);
    const body = new URLSearchParams({
      challenge: p.token,
      solution: String(solve(p.seed, p.bits)),
      return: path,
    }).toString();
    const v = await fetchRaw(port, '/.rampart/challenge/verify', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(v.status, 303);
    return passOf(String(v.headers['set-cookie']));
  }

  const bitsOn = async (port: number) => {
    const r = await fetchRaw(port, '/page');
    return r.status === 200 ? 0 : pageParams(r.body).bits;
  };

  test('the mode turns the default require (under_attack) on and off, and sets the difficulty', async () => {
    state.overrideMode(null);
    assert.equal(state.mode(), 'normal');
    assert.equal(await bitsOn(a.port), 0, 'normal: no challenge');
    assert.equal(await bitsOn(b.port), 0);
    state.overrideMode('elevated');
    assert.equal(await bitsOn(a.port), 0, 'elevated is below under_attack');
    assert.equal(await bitsOn(b.port), DIFFICULTY.elevated, 'require: elevated challenges lightly');
    state.overrideMode('under_attack');
    assert.equal(await bitsOn(a.port), DIFFICULTY.under_attack, 'heavier under attack');
    assert.equal(await bitsOn(b.port), DIFFICULTY.under_attack);
    state.overrideMode('recovering');
    assert.equal(await bitsOn(a.port), DIFFICULTY.under_attack, 'still challenging while recovering');
    state.overrideMode(null);
    assert.equal(await bitsOn(a.port), 0);
  });

  test('observe enforcement (shadow mode) lets requests through and counts what it would have challenged', async () => {
    state.overrideMode('under_attack');
    state.setEnforcement('observe');
    try {
      const before = a.challengeStats()!.wouldChallenge;
      const r = await fetchRaw(a.port, '/shadow');
      assert.equal(r.status, 200);
      assert.equal(a.challengeStats()!.wouldChallenge, before + 1);
    } finally {
      state.setEnforcement('enforce');
      state.overrideMode(null);
    }
  });

  test('policy mitigations: a challenge mitigation brings the page with require off; an unverifiedOnly deny spares pass holders', async () => {
    const base = { prefixKeys: [], fingerprints: [], routeClasses: [], unverifiedOnly: false };
    const common = { rate: 0, createdAt: clock.now(), until: clock.now() + 600_000, reason: 'test', figures: {} };
    state.putMitigation({
      ...common,
      id: 'ch',
      action: 'challenge',
      rule: 'mitigate/challenge-route',
      match: { ...base, paths: ['/hot-a'] },
    });
    state.putMitigation({
      ...common,
      id: 'dn',
      action: 'deny',
      rule: 'mitigate/deny-signature',
      match: { ...base, paths: ['/hot-b'], unverifiedOnly: true },
    });
    try {
      assert.equal(state.mode(), 'normal');
      const page = await fetchRaw(a.port, '/hot-a');
      assert.equal(page.status, 403);
      assert.equal(
        pageParams(page.body).bits,
        DIFFICULTY.manual,
        'asked by policy in normal mode: the manual difficulty',
      );
      const pass = await earn(a.port, '/hot-a');
      assert.equal((await fetchRaw(a.port, '/hot-a', { headers: { cookie: pass } })).status, 200);
      const denied = await fetchRaw(a.port, '/hot-b');
      assert.equal(denied.headers['rampart-verdict'], 'mitigate/deny-signature');
      assert.equal(
        (await fetchRaw(a.port, '/hot-b', { headers: { cookie: pass } })).status,
        200,
        'policy asked the challenge stage: the pass is valid',
      );
      assert.notEqual(
        (
          await fetchRaw(a.port, '/hot-b', {
            headers: { cookie: `${pass.slice(0, -1)}${pass.endsWith('A') ? 'B' : 'A'}` },
          })
        ).status,
        200,
        'a forged pass is denied',
      );
    } finally {
      state.removeMitigation('ch');
      state.removeMitigation('dn');
    }
  });

  test('a pass earned on one node opens the other (shared keys), also after a key rotation; a new key makes new passes', async () => {
    state.overrideMode('under_attack');
    try {
      const pass = await earn(a.port, '/node-a');
      assert.equal(
        (await fetchRaw(b.port, '/node-b', { headers: { cookie: pass } })).status,
        200,
        "node B accepts node A's pass",
      );
      state.view.rotateKeys(clock.now());
      assert.equal(
        (await fetchRaw(b.port, '/node-b', { headers: { cookie: pass } })).status,
        200,
        'the previous key still verifies',
      );
      const fresh = await earn(b.port, '/node-b');
      assert.notEqual(fresh, pass);
      assert.equal((await fetchRaw(a.port, '/node-a', { headers: { cookie: fresh } })).status, 200);
      state.view.rotateKeys(clock.now());
      state.view.rotateKeys(clock.now());
      assert.equal(
        (await fetchRaw(a.port, '/node-a', { headers: { cookie: pass } })).status,
        403,
        'a key two rotations old is gone',
      );
    } finally {
      state.overrideMode(null);
    }
  });
});
