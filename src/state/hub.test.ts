// Worker states fed by a primary's hub (the cluster setup) against the
// conformance suite: two workers play the two nodes. The channel between them
// copies every message with structuredClone, as node:cluster IPC serializes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../core/clock.js';
import { CONFORMANCE_T0, eventually, runConformance } from './conformance.js';
import { createStateHub } from './hub.js';
import { createMemoryState } from './memory.js';
import { createWorkerState } from './worker-state.js';

function channel(hub: ReturnType<typeof createStateHub>) {
  const toWorker = new Set<(m: unknown) => void>();
  const deliver = (m: unknown) => {
    for (const fn of toWorker) fn(structuredClone(m));
  };
  const port = { send: (m: unknown) => setImmediate(deliver, m) };
  const receive = hub.attach(port);
  return {
    port: { send: (m: unknown) => setImmediate(() => receive(structuredClone(m))) },
    listen(fn: (m: unknown) => void) {
      toWorker.add(fn);
      return () => toWorker.delete(fn);
    },
  };
}

async function cluster(keyRotation: number) {
  const clock = createManualClock(CONFORMANCE_T0);
  const primary = createMemoryState({ now: clock.now, keyRotation, sweepInterval: 10 });
  await primary.start();
  const hub = createStateHub(primary, { now: clock.now, interval: 20 });
  const a = createWorkerState({ ...channel(hub), now: clock.now });
  const b = createWorkerState({ ...channel(hub), now: clock.now });
  await a.start();
  await b.start();
  return { primary, hub, a, b, clock };
}

runConformance(
  'cluster-ipc',
  async ({ keyRotation }) => {
    const { primary, hub, a, b, clock } = await cluster(keyRotation);
    return {
      a,
      b,
      nodeMessages: false, // two workers of one node: node messages are the primary's
      advance: clock.advance,
      now: clock.now,
      async close() {
        hub.stop();
        await a.close();
        await b.close();
        await primary.close();
      },
    };
  },
  { secondNode: true },
);

test('cluster-ipc: workers start from the primary’s snapshot and report its health', async () => {
  const { primary, hub, a, b } = await cluster(0);
  try {
    assert.ok(a.keys()[0].equals(primary.keys()[0]), 'keys come from the primary');
    primary.addBan({
      target: '192.0.2.0/24',
      rule: 'ban/manual',
      createdAt: 0,
      until: CONFORMANCE_T0 + 1e6,
      reason: 'x',
      source: 'manual',
    });
    const late = createWorkerState({ ...channel(hub) });
    await late.start();
    assert.notEqual(late.isBanned('192.0.2.5', CONFORMANCE_T0), null, 'a replacement worker gets the current bans');
    await eventually('health from the primary', () => a.health().connected && a.health().backend === 'memory');
    await late.close();
  } finally {
    hub.stop();
    await a.close();
    await b.close();
    await primary.close();
  }
});
