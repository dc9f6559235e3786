// Conformance cases for what nodes share through a store: per-second counts,
// sequence ids and the shared incident, node-to-node messages, learned state,
// and the replication of every write to a second node. Single-process
// backends (b = null) check the one-node answers instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ban,
  CONFORMANCE_T0,
  eventually,
  type HarnessFactory,
  mitigation,
  type WithHarness,
} from './conformance-fixtures.js';

export function counterCases(name: string, withHarness: WithHarness): void {
  test(`${name}: per-second counts sum and stay per second`, () =>
    withHarness(async ({ a, b }) => {
      const s = Math.floor(CONFORMANCE_T0 / 1000);
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
}

export function idCases(name: string, withHarness: WithHarness): void {
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
}

export function nodeCases(name: string, withHarness: WithHarness): void {
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
      h.a.putLearned('detector', blob, CONFORMANCE_T0 + 5000);
      if (h.b === null || h.nodeMessages === false) {
        assert.equal(await h.a.getLearned('detector'), null, 'nothing shared to seed from');
        return;
      }
      let got: { savedAt: number; data: Buffer } | null = null;
      await eventually('b reads what a saved', async () => (got = await h.b!.getLearned('detector')) !== null);
      assert.equal(got!.savedAt, CONFORMANCE_T0 + 5000);
      assert.ok(got!.data.equals(blob), 'byte for byte');
      assert.equal(await h.b!.getLearned('other'), null);
    }));
}

export function replicationCases(name: string, make: HarnessFactory): void {
  test(`${name}: writes on one node reach the other`, async () => {
    const h = await make({ keyRotation: 0 });
    try {
      const { a, b, now } = h;
      assert.notEqual(b, null, 'a backend run with secondNode gives a second node');
      if (b === null) return;
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
