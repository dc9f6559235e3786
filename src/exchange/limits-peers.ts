// Rate limits that hold across cluster workers. node:cluster balances
// connections, not requests, so with per-worker bucket tables a client that
// reaches N workers would get N× its limit. Each worker records the tokens its
// tables hand out (every take past half a burst exactly, the others sampled:
// policy/limits-usage.ts), sends that list to the other workers once a tick,
// and debits the lists it receives into its own tables (TokenBuckets.debit).
// Bound, for one key over a window of T seconds starting with full buckets
// (rate r, burst b, N workers, ticks of 1 s): allowed ≤ r·T + b + (N−1)·(b + r·1 s)
// in expectation (the sampled share is unbiased, ± b/16 per sample): one
// bucket, plus each other worker's own burst once (its bucket starts full)
// and one tick of its usage still in flight. A per-worker table allowed
// N·(r·T + b). Between nodes the same messages cross the node bus
// (node-bus.ts: sent by a single-process node, or forwarded by a cluster's
// primary), about a tick later.
// The detector's `limit` mitigations (per-client buckets, rate m.rate, burst
// 1 s of it) are shared the same way, as a fifth table; it is created at a
// mitigation's first use, with this recorder already attached by the policy
// (polling for it at the tick left each worker's first second unshared).
// The tables themselves are policy's (src/policy/usage-tap.ts); this file only
// carries the lists. Memory: 5 recorders of 1024 keys (≈ 180 KB); one message
// a tick, none when idle.
import type { Logger } from 'pino';
import { LimitUsageTap, TABLES } from '../policy/usage-tap.js';
import type { PolicyStage } from '../policy/stage.js';
import { TOPICS, type UsageMessage } from './messages.js';
import type { Peers } from './peers.js';
import type { TickPart } from './tick-part.js';

export interface LimitPeersDeps {
  peers: Peers;
  now: () => number;
  log: Logger;
  /** The current graph's policy stage (a reload swaps it). */
  policy: () => PolicyStage;
  /** Keys recorded per table and tick (default 1024). */
  capacity?: number;
}

export function createLimitPeers(deps: LimitPeersDeps): TickPart {
  const tap = new LimitUsageTap(deps.policy, deps.capacity);
  let warnedDropped = 0;
  const off = deps.peers.on(TOPICS.limits, (data) => {
    tap.follow();
    if (typeof data !== 'object' || data === null) return;
    const now = deps.now();
    for (const t of TABLES) tap.debit(t, (data as Record<string, unknown>)[t], now);
  });
  return {
    tick() {
      tap.follow();
      let msg: UsageMessage | null = null;
      for (const t of TABLES) {
        const list = tap.drain(t);
        if (list !== null) (msg ??= {})[t] = list;
      }
      if (msg !== null) deps.peers.send(TOPICS.limits, msg);
      // Once per growth of ten times: a spray wider than the recorders stays per worker for its excess.
      const dropped = tap.dropped();
      if (dropped > warnedDropped * 10 && dropped >= 100) {
        warnedDropped = dropped;
        deps.log.warn(
          { dropped },
          'rate-limit usage: more keys consumed in a tick than the cluster share records; their excess is limited per worker',
        );
      }
    },
    close() {
      off();
      tap.close();
    },
  };
}
