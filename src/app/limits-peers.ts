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
// Memory: 5 recorders of 1024 keys (≈ 180 KB); one message a tick, none when idle.
import type { Logger } from './logger.js';
import type { Peers } from './peers.js';
import type { Policy } from '../policy/decide.js';
import type { PolicyStage } from '../policy/stage.js';
import type { TokenBuckets } from '../core/token-bucket.js';
import { KEY_TYPES, type KeyType } from '../policy/limits.js';
import {
  applyUsage,
  createUsageRecorder,
  isUsageList,
  type UsageList,
  type UsageRecorder,
} from '../policy/limits-usage.js';

export interface LimitPeersDeps {
  peers: Peers;
  now: () => number;
  log: Logger;
  /** The current graph's policy stage (a reload swaps it). */
  policy: () => PolicyStage;
  /** Keys recorded per table and tick (default 1024). */
  capacity?: number;
}

export interface PeerSync {
  /** Once a second, from the app's tick. */
  tick(now: number): void;
  close(): void;
}

/** The peer topic; its data is a UsageMessage. */
export const LIMITS_TOPIC = 'limits/usage';

/** The shared tables: the four limit key types, and `mitigation`, the per-client buckets of the detector's limit mitigations. */
export type TableName = KeyType | 'mitigation';
export const TABLES: readonly TableName[] = [...KEY_TYPES, 'mitigation'];

/** One tick's usage of a worker: a list per table that had any. */
export type UsageMessage = Partial<Record<TableName, UsageList>>;

export function createLimitPeers(deps: LimitPeersDeps): PeerSync {
  const recorders = {} as Record<TableName, UsageRecorder>;
  const watched = {} as Record<KeyType, TokenBuckets | null>;
  for (const t of TABLES) recorders[t] = createUsageRecorder(deps.capacity ?? 1024);
  for (const t of KEY_TYPES) watched[t] = null;
  let policy: Policy | null = null;
  let warnedDropped = 0;

  /**
   * Watches the current graph's tables: a reload may have built new ones or
   * turned limits off. The mitigation table is null until a limit mitigation
   * is first used, so the policy is handed the recorder for it (a reload keeps
   * the table when its size is unchanged: unwatch the old policy first).
   */
  function follow(): void {
    const current = deps.policy().policy;
    const limits = current.tables.limits;
    for (const t of KEY_TYPES) {
      const table = limits?.[t] ?? null;
      if (table === watched[t]) continue;
      watched[t]?.watch(null);
      table?.watch(recorders[t]);
      watched[t] = table;
    }
    if (current === policy) return;
    policy?.tables.watchMitigations(null);
    current.tables.watchMitigations(recorders.mitigation);
    policy = current;
  }

  const off = deps.peers.on(LIMITS_TOPIC, (data) => {
    follow();
    if (typeof data !== 'object' || data === null) return;
    const now = deps.now();
    for (const t of TABLES) {
      const list = (data as Record<string, unknown>)[t];
      // No mitigation table here yet (none used on this worker): its buckets start full, as the bound counts.
      const table = t === 'mitigation' ? policy!.tables.mitigations() : watched[t];
      if (table !== null && isUsageList(list)) applyUsage(table, list, now);
    }
  });
  follow();

  return {
    tick() {
      follow();
      let msg: UsageMessage | null = null;
      let dropped = 0;
      for (const t of TABLES) {
        const list = recorders[t].drain();
        if (list !== null) (msg ??= {})[t] = list;
        dropped += recorders[t].dropped();
      }
      if (msg !== null) deps.peers.send(LIMITS_TOPIC, msg);
      // Once per growth of ten times: a spray wider than the recorders stays per worker for its excess.
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
      for (const t of KEY_TYPES) {
        watched[t]?.watch(null);
        watched[t] = null;
      }
      policy?.tables.watchMitigations(null);
      policy = null;
    },
  };
}
