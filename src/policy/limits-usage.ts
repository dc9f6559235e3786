// Rate-limit usage shared between cluster workers: a recorder of one bucket
// table's takes as core/token-bucket watch() reports them (every take past
// half a burst exactly, the others sampled at 1/16 of the burst), drained
// once a tick into typed arrays, and applyUsage() that debits another
// worker's list into this worker's table. Not the transport (exchange/limits-peers.ts).
// Memory ceiling: 28 B × capacity + 8 B × capacity of index (≈ 36 KB for 1024
// keys). Hot path (note): O(1) expected, no allocation.
import { mix32 } from '../core/hash.js';
import type { TakeSink, TokenBuckets } from '../core/token-bucket.js';

/** One table's usage since the last drain: parallel arrays, one entry per key. */
export interface UsageList {
  /** The bucket keys as the table holds them (mixed with the class namespace, int32). */
  keys: Int32Array;
  /** Tokens taken. */
  cost: Float64Array;
  /** The rule's rate (tokens/s) and burst, so the receiver charges the same bucket shape. */
  rate: Float64Array;
  burst: Float64Array;
}

export interface UsageRecorder extends TakeSink {
  readonly capacity: number;
  /** Distinct keys recorded since the last drain. */
  size(): number;
  /** Takes not recorded since creation because the recorder was full (their keys stay per worker for that tick). */
  dropped(): number;
  /** The usage since the last drain (copied), or null when there was none; clears the recorder. */
  drain(): UsageList | null;
}

/** Records up to `capacity` distinct keys per tick; later new keys are counted as dropped (never evict: no over-count). */
export function createUsageRecorder(capacity = 1024): UsageRecorder {
  if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 1 << 16))
    throw new RangeError(`usage recorder capacity must be an integer in 1..65536, got ${capacity}`);
  const keys = new Int32Array(capacity);
  const cost = new Float64Array(capacity);
  const rate = new Float64Array(capacity);
  const burst = new Float64Array(capacity);
  // Open addressing, linear probing: slot + 1, 0 = empty. Half full at most.
  const index = new Int32Array(1 << (32 - Math.clz32(capacity * 2 - 1)));
  const mask = index.length - 1;
  let size = 0;
  let dropped = 0;

  return {
    capacity,
    note(key, c, r, b) {
      const k = key | 0;
      let i = mix32(k) & mask;
      for (;;) {
        const s = index[i];
        if (s === 0) break;
        if (keys[s - 1] === k) {
          cost[s - 1] += c;
          return;
        }
        i = (i + 1) & mask;
      }
      if (size === capacity) {
        dropped++;
        return;
      }
      keys[size] = k;
      cost[size] = c;
      rate[size] = r;
      burst[size] = b;
      index[i] = ++size;
    },
    size: () => size,
    dropped: () => dropped,
    drain() {
      if (size === 0) return null;
      const list = {
        keys: keys.slice(0, size),
        cost: cost.slice(0, size),
        rate: rate.slice(0, size),
        burst: burst.slice(0, size),
      };
      index.fill(0);
      size = 0;
      return list;
    },
  };
}

/** Tells whether `data` (from another process) is a well-formed UsageList. */
export function isUsageList(data: unknown): data is UsageList {
  if (typeof data !== 'object' || data === null) return false;
  const l = data as Partial<UsageList>;
  if (
    !(
      l.keys instanceof Int32Array &&
      l.cost instanceof Float64Array &&
      l.rate instanceof Float64Array &&
      l.burst instanceof Float64Array
    )
  )
    return false;
  const n = l.keys.length;
  return l.cost.length === n && l.rate.length === n && l.burst.length === n;
}

/**
 * Debits another worker's usage into `table` (see TokenBuckets.debit: never
 * refuses, at most one second of refill past empty). Entries with a rate or
 * burst a bucket cannot have are skipped. Returns the tokens charged.
 */
export function applyUsage(table: TokenBuckets, list: UsageList, now: number): number {
  let charged = 0;
  for (let i = 0; i < list.keys.length; i++) {
    const r = list.rate[i];
    const b = list.burst[i];
    const c = list.cost[i];
    if (!(r > 0 && b >= 1 && c > 0) || !Number.isFinite(r + b + c)) continue;
    charged += table.debit(list.keys[i], now, c, r, b);
  }
  return charged;
}
