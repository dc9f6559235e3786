// One behaviour suite for every SharedState backend (after Anubis'
// lib/store/storetest): memory.test.ts and test/integration/state-redis.test.ts
// run it. Backends that share a store give a second node `b`, and the suite
// then also checks that writes on one node reach the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ban, Mitigation } from '../core/model.js';
import type { SharedState } from './types.js';

export interface Harness {
  a: SharedState;
  /** A second node on the same store, or null for single-process backends. */
  b: SharedState | null;
  /** false when `b` is a second cluster worker of the same node, not another node (sendToNodes does not reach it). */
  nodeMessages?: boolean;
  /** Moves the clock both nodes read (ms). */
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

/** Makes a started harness; `keyRotation` in ms (0 = never). */
export type HarnessFactory = (opts: { keyRotation: number }) => Promise<Harness>;

const T0 = 1_700_000_000_000;
export const CONFORMANCE_T0 = T0;

export function ban(target: string, until = T0 + 60_000, extra: Partial<Ban> = {}): Ban {
  return { target, rule: 'ban/manual', createdAt: T0, until, reason: 'test', source: 'manual', ...extra };
}

export function mitigation(id: string, until = T0 + 60_000, extra: Partial<Mitigation> = {}): Mitigation {
  return {
    id,
    action: 'limit',
    rule: 'mitigate/limit-signature',
    match: {
      prefixKeys: [1],
      fingerprints: [2],
      routeClasses: ['login'],
      paths: ['/wp-login.php'],
      unverifiedOnly: true,
    },
    rate: 2,
    createdAt: T0,
    until,
    reason: 'test',
    figures: { rps: 4100, baseline: 80 },
    ...extra,
  };
}

/** Polls `check` until it returns true (for background sync); fails after `ms`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`not reached within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function runConformance(name: string, make: HarnessFactory): void {
  async function withHarness(fn: (h: Harness) => Promise<void> | void, keyRotation = 0): Promise<void> {
    const h = await make({ keyRotation });
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  }

  test(`${name}: exact and CIDR bans, IPv4 and IPv6, canonical targets`, () =>
    withHarness(({ a, now }) => {
      a.addBan(ban('203.0.113.7'));
      a.addBan(ban('198.51.100.0/24'));
      a.addBan(ban('2001:DB8::1'));
      a.addBan(ban('2001:db8:aa::/48'));
      const t = now();
      assert.equal(a.isBanned('203.0.113.7', t)?.target, '203.0.113.7');
      assert.equal(a.isBanned('::ffff:203.0.113.7', t)?.target, '203.0.113.7');
      assert.equal(a.isBanned('203.0.113.8', t), null);
      assert.equal(a.isBanned('198.51.100.250', t)?.target, '198.51.100.0/24');
      assert.equal(a.isBanned('198.51.101.1', t), null);
      assert.equal(a.isBanned('2001:db8:0:0::1', t)?.target, '2001:DB8::1');
      assert.equal(a.isBanned('2001:db8:aa:ffff::9', t)?.target, '2001:db8:aa::/48');
      assert.equal(a.isBanned('2001:db8:ab::9', t), null);
      assert.equal(a.isBanned('not an ip', t), null);
      assert.equal(a.bans().length, 4);
      assert.equal(a.removeBan('203.0.113.7/32'), true, 'the same address written as /32 removes it');
      assert.equal(a.removeBan('203.0.113.7'), false);
      assert.equal(a.isBanned('203.0.113.7', t), null);
      assert.equal(a.bans().length, 3);
    }));

  test(`${name}: the most specific ban wins and a ban is replaced, not duplicated`, () =>
    withHarness(({ a, now }) => {
      a.addBan(ban('10.0.0.0/8', now() + 10_000, { rule: 'ban/wide' }));
      a.addBan(ban('10.1.0.0/16', now() + 10_000, { rule: 'ban/narrow' }));
      assert.equal(a.isBanned('10.1.2.3', now())?.rule, 'ban/narrow');
      assert.equal(a.isBanned('10.2.2.3', now())?.rule, 'ban/wide');
      a.addBan(ban('10.1.0.0/16', now() + 99_000, { rule: 'ban/narrow' }));
      assert.equal(a.bans().length, 2);
      assert.equal(a.isBanned('10.1.2.3', now())?.until, now() + 99_000);
    }));

  test(`${name}: bans and mitigations expire by themselves`, () =>
    withHarness(({ a, now, advance }) => {
      a.addBan(ban('192.0.2.1', now() + 1000));
      a.addBan(ban('192.0.2.2', now() + 5000));
      a.putMitigation(mitigation('m1', now() + 1000));
      a.putMitigation(mitigation('m2', now() + 5000));
      assert.notEqual(a.isBanned('192.0.2.1', now()), null);
      assert.equal(a.isBanned('192.0.2.1', now() + 1000), null, 'checked on read with the passed now');
      advance(2000);
      assert.deepEqual(
        a.bans().map((b) => b.target),
        ['192.0.2.2'],
      );
      assert.deepEqual(
        a.mitigations().map((m) => m.id),
        ['m2'],
      );
      assert.notEqual(a.isBanned('192.0.2.2', now()), null);
    }));

  test(`${name}: bad input is refused with a hint and leaves the state usable`, () =>
    withHarness(({ a, now }) => {
      for (const bad of ['999.1.1.1', '10.0.0.0/33', 'example.org', '', '1.2.3.4/x']) {
        assert.throws(
          () => a.addBan(ban(bad)),
          (e: Error & { hint?: string }) => /not an IP address or CIDR/.test(e.message) && !!e.hint,
          bad,
        );
      }
      assert.throws(() => a.addBan(ban('192.0.2.1', Number.NaN)), /until/);
      assert.throws(() => a.addBan(ban('192.0.2.1', T0, { rule: 'limit/x' })), /ban\/<name>/);
      assert.throws(() => a.setMode('panic' as never), /not a mode/);
      assert.throws(() => a.overrideMode('calm' as never), /not a mode/);
      assert.throws(() => a.setEnforcement('maybe' as never), /enforce or observe|not an enforcement/);
      assert.throws(() => a.putMitigation(mitigation('')), /mitigation id/);
      assert.throws(() => a.putMitigation(mitigation('x', T0, { action: 'nuke' as never })), /action/);
      assert.equal(a.bans().length, 0);
      a.addBan(ban('192.0.2.1', now() + 1000));
      assert.notEqual(a.isBanned('192.0.2.1', now()), null);
    }));

  test(`${name}: mode with operator override, enforcement`, () =>
    withHarness(({ a }) => {
      assert.equal(a.mode(), 'normal');
      assert.equal(a.enforcement(), 'enforce');
      a.setMode('elevated');
      assert.equal(a.mode(), 'elevated');
      a.overrideMode('under_attack');
      a.setMode('recovering');
      assert.equal(a.mode(), 'under_attack', 'the operator wins over the detector');
      a.overrideMode(null);
      assert.equal(a.mode(), 'recovering', 'null hands control back to the detector');
      a.setEnforcement('observe');
      assert.equal(a.enforcement(), 'observe');
    }));

  test(`${name}: mitigations put, replace, remove`, () =>
    withHarness(({ a, now }) => {
      a.putMitigation(mitigation('sig-1', now() + 10_000));
      a.putMitigation(mitigation('sig-1', now() + 20_000, { action: 'challenge' }));
      a.putMitigation(mitigation('sig-2', now() + 10_000));
      assert.equal(a.mitigations().length, 2);
      const m = a.mitigations().find((x) => x.id === 'sig-1')!;
      assert.equal(m.action, 'challenge');
      assert.deepEqual(m.match.paths, ['/wp-login.php']);
      assert.equal(m.figures.rps, 4100);
      assert.equal(a.removeMitigation('sig-1'), true);
      assert.equal(a.removeMitigation('sig-1'), false);
      assert.deepEqual(
        a.mitigations().map((x) => x.id),
        ['sig-2'],
      );
    }));

  test(`${name}: version bumps and onChange fires on changes only`, () =>
    withHarness(({ a, now }) => {
      let calls = 0;
      const off = a.onChange(() => calls++);
      const v0 = a.version();
      a.setMode('elevated');
      a.setMode('elevated');
      assert.equal(calls, 1, 'setting the same mode again is not a change');
      a.addBan(ban('192.0.2.9', now() + 1000));
      a.putMitigation(mitigation('m', now() + 1000));
      assert.equal(a.removeBan('192.0.2.10'), false);
      assert.equal(calls, 3);
      assert.ok(a.version() >= v0 + 3);
      off();
      a.setMode('normal');
      assert.equal(calls, 3, 'unsubscribed');
    }));

  test(`${name}: signing keys are random, 32 bytes, and rotate keeping the previous one`, () =>
    withHarness(async ({ a, advance }) => {
      const first = a.keys();
      assert.ok(first.length >= 1);
      assert.equal(first[0].length, 32);
      assert.notEqual(first[0].toString('hex'), Buffer.alloc(32).toString('hex'));
      advance(60_000);
      await eventually('key rotation', () => !a.keys()[0].equals(first[0]));
      const after = a.keys();
      assert.equal(after.length, 2);
      assert.ok(after[1].equals(first[0]), 'the previous key stays for verification');
    }, 30_000));

  test(`${name}: per-second counts sum and stay per second`, () =>
    withHarness(async ({ a, b }) => {
      const s = Math.floor(T0 / 1000);
      assert.equal(a.globalCounts(s), null);
      a.addCounts(s, { requests: 10, blocked: 2 });
      a.addCounts(s, { requests: 5 });
      a.addCounts(s + 1, { requests: 1 });
      await eventually('counts visible', () => a.globalCounts(s)?.requests === 15);
      assert.deepEqual(a.globalCounts(s), { requests: 15, blocked: 2 });
      await eventually('next second', () => a.globalCounts(s + 1)?.requests === 1);
      if (b) {
        b.addCounts(s, { requests: 100 });
        await eventually('sum across nodes on a', () => a.globalCounts(s)?.requests === 115);
        await eventually('sum across nodes on b', () => b.globalCounts(s)?.requests === 115);
      }
    }));

  test(`${name}: node messages reach the other nodes, never the sender`, () =>
    withHarness(async (h) => {
      const a = h.a;
      const b = h.nodeMessages === false ? null : h.b;
      const gotA: Buffer[] = [];
      const gotB: Buffer[] = [];
      const offA = a.onNodeMessage((p) => gotA.push(Buffer.from(p)));
      const offB = b?.onNodeMessage((p) => gotB.push(Buffer.from(p)));
      const big = Buffer.alloc(200_000, 7); // a window part is ~150 KiB: binary, intact
      big[0] = 1;
      a.sendToNodes(big);
      if (b) {
        b.sendToNodes(Buffer.from('from b'));
        await eventually('b hears a, a hears b', () => gotB.length >= 1 && gotA.length >= 1);
      }
      await new Promise((r) => setTimeout(r, 150));
      if (b) {
        assert.equal(gotB.length, 1);
        assert.ok(gotB[0].equals(big), 'the payload arrives byte for byte');
        assert.deepEqual(gotA.map(String), ['from b'], 'a hears b, never itself');
      } else assert.equal(gotA.length, 0, 'one process: nobody to hear');
      offA();
      offB?.();
    }));

  test(`${name}: learned state saved by one node is what a new node seeds from`, () =>
    withHarness(async (h) => {
      const blob = Buffer.alloc(300_000, 3); // a detector's learned state is ~0.7 MB: binary, intact
      blob[1] = 9;
      h.a.putLearned('detector', blob, T0 + 5000);
      if (h.b === null || h.nodeMessages === false) {
        assert.equal(await h.a.getLearned('detector'), null, 'nothing shared to seed from');
        return;
      }
      let got: { savedAt: number; data: Buffer } | null = null;
      await eventually('b reads what a saved', async () => (got = await h.b!.getLearned('detector')) !== null);
      assert.equal(got!.savedAt, T0 + 5000);
      assert.ok(got!.data.equals(blob), 'byte for byte');
      assert.equal(await h.b!.getLearned('other'), null);
    }));

  test(`${name}: sequence ids are increasing and unique`, () =>
    withHarness(async ({ a, b }) => {
      const ids = [await a.nextId('incident'), await a.nextId('incident')];
      if (b) ids.push(await b.nextId('incident'));
      ids.push(await a.nextId('incident'));
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `ids increase: ${ids.join(',')}`);
      assert.ok((await a.nextId('other')) >= 1);
    }));

  test(`${name}: nodes that join an incident within the ttl share one id; a later attack gets a new one`, () =>
    withHarness(async ({ a, b, now }) => {
      const t = now();
      const first = await a.joinIncident(t, 10_000);
      assert.match(first.id, /^inc-\d{8}T\d{6}z-\d+$/);
      assert.equal(first.startedAt, t);
      const other = await (b ?? a).joinIncident(t + 5000, 10_000);
      assert.deepEqual(other, first, 'joined, not opened');
      assert.equal((await a.joinIncident(t + 14_000, 10_000)).id, first.id, 'the join at +5 s touched it');
      const later = await (b ?? a).joinIncident(t + 40_000, 10_000);
      assert.notEqual(later.id, first.id);
      assert.equal(later.startedAt, t + 40_000);
    }));

  test(`${name}: the operator's override is readable apart from the effective mode`, () =>
    withHarness(({ a }) => {
      assert.equal(a.modeOverride(), null);
      a.setMode('elevated');
      a.overrideMode('under_attack');
      assert.equal(a.modeOverride(), 'under_attack');
      assert.equal(a.mode(), 'under_attack');
      a.overrideMode(null);
      assert.equal(a.modeOverride(), null);
      assert.equal(a.mode(), 'elevated');
    }));

  test(`${name}: health reports the backend`, () =>
    withHarness(({ a }) => {
      const h = a.health();
      assert.ok(h.backend === 'memory' || h.backend === 'redis');
      assert.equal(h.connected, true);
      assert.equal(h.error, '');
    }));

  test(`${name}: writes on one node reach the other`, async (t) => {
    const h = await make({ keyRotation: 0 });
    try {
      const { a, b, now } = h;
      if (!b) return t.skip('single-process backend');
      await eventually('same keys', () => a.keys()[0].equals(b.keys()[0]));
      a.addBan(ban('203.0.113.50', now() + 60_000));
      await eventually('ban on b', () => b.isBanned('203.0.113.50', now()) !== null);
      b.removeBan('203.0.113.50');
      await eventually('unban on a', () => a.isBanned('203.0.113.50', now()) === null);
      a.setMode('under_attack');
      await eventually('mode on b', () => b.mode() === 'under_attack');
      b.overrideMode('normal');
      await eventually('override on a', () => a.mode() === 'normal');
      a.putMitigation(mitigation('shared', now() + 60_000));
      await eventually('mitigation on b', () => b.mitigations().some((m) => m.id === 'shared'));
      a.setEnforcement('observe');
      await eventually('enforcement on b', () => b.enforcement() === 'observe');
    } finally {
      await h.close();
    }
  });
}
