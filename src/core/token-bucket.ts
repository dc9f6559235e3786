// Token buckets keyed by uint32 in a bounded LRU table (core/lru.ts), stored
// as GCRA: one float64 per key, the "theoretical arrival time" (tat) at which
// the bucket is full again. An entry past its tat equals a full bucket, so it
// expires then by itself: idle clients cost nothing after `burst / rate` s.
// Memory ceiling: lruBytes(capacity) (≤ 40 B per tracked key). Hot path:
// O(1), no allocation. Not a sliding-window counter; not shared across nodes
// by itself: cluster workers exchange their heavy takes (watch) once a second
// and charge each other's with debit() (policy/limits-usage.ts).
//
// Trade-off of the bound: when more keys are active than `capacity`, the
// least recently seen one is evicted and its bucket forgotten; if it comes
// back it starts with a full bucket. A forgotten bucket only ever allows more,
// never refuses an innocent client; a source that keeps sending stays recent
// and is never the one evicted. An attacker who sprays more addresses than
// the table holds gets at most `burst` per address per eviction cycle — the
// prefix buckets and the detector's sketches see that spray as a whole.
import { createLru, lruBytes, type Lru } from './lru.js';

export interface TokenBucketOptions {
  /** Most keys tracked at once. */
  capacity: number;
  /** Default refill, tokens per second (> 0). */
  rate: number;
  /** Default bucket size, tokens (≥ 1). */
  burst: number;
}

/**
 * Told of the tokens taken, for sharing them (cluster workers): every take
 * that leaves a bucket past half its burst, exactly (the keys that consume
 * notably; a person's bucket never gets there), and a sample of the others,
 * each standing for SAMPLE_SHARE of the burst (see report()). Called on the
 * hot path, so it must be O(1) and allocate nothing.
 */
export interface TakeSink {
  note(key: number, cost: number, rate: number, burst: number): void;
}

/**
 * How far past empty debit() may push a bucket: one second of refill. Capping
 * at empty would not do: a flood keeps each worker's bucket at empty by
 * itself, so every debit would be lost and each worker would still refill at
 * `rate` (N workers, N× the limit). With one second of debt the others' usage
 * of the last tick always fits, and a client is refused at most 1 s longer.
 */
export const DEBIT_MAX_DEBT_MS = 1000;

export interface TokenBuckets {
  readonly capacity: number;
  /** Ceiling of this table's memory in bytes. */
  readonly bytes: number;
  /** Takes `cost` tokens at the default rate/burst: 0 when allowed, else ms until it would be. */
  take(key: number, nowMs: number, cost?: number): number;
  /** Same with a rate/burst of the caller's (several limits can share one table). */
  takeWith(key: number, nowMs: number, cost: number, rate: number, burst: number): number;
  /**
   * Charges `cost` tokens used elsewhere (another worker): advances the tat
   * like a take but never refuses, creates the key if absent, and never
   * pushes the bucket more than `maxDebtMs` of refill past empty
   * (tat ≤ now + burst/rate s + maxDebtMs). Returns the tokens charged.
   */
  debit(key: number, nowMs: number, cost: number, rate: number, burst: number, maxDebtMs?: number): number;
  /** Sets (or with null removes) the sink told of the tokens taken (see TakeSink: heavy takes exactly, the others sampled). */
  watch(sink: TakeSink | null): void;
  /** Tokens left for `key` now under rate/burst (a full bucket when unknown; below 0 while a debit's debt lasts). */
  remaining(key: number, nowMs: number, rate?: number, burst?: number): number;
  size(): number;
  evictions(): number;
  clear(): void;
}

export function createTokenBuckets(opts: TokenBucketOptions): TokenBuckets {
  checkRate(opts.rate, opts.burst);
  const lru: Lru = createLru(opts.capacity);

  const vals = lru.values;
  const exps = lru.expiries;
  let sink: TakeSink | null = null;

  function takeWith(key: number, now: number, cost: number, rate: number, burst: number): number {
    const interval = 1000 / rate;
    let s = lru.find(key, now);
    let tat = s === 0 ? now : vals[s];
    if (tat < now) tat = now;
    const next = tat + cost * interval;
    const over = next - now - burst * interval;
    if (over > 0) return over;
    if (s === 0) s = lru.acquire(key, now, next);
    vals[s] = next;
    exps[s] = next;
    if (sink !== null) report(sink, key, next - now, cost, rate, burst, interval);
    return 0;
  }

  function debit(
    key: number,
    now: number,
    cost: number,
    rate: number,
    burst: number,
    maxDebtMs = DEBIT_MAX_DEBT_MS,
  ): number {
    const interval = 1000 / rate;
    let s = lru.find(key, now);
    let tat = s === 0 ? now : vals[s];
    if (tat < now) tat = now;
    const cap = now + burst * interval + maxDebtMs;
    const next = Math.min(tat + cost * interval, cap);
    if (!(next > tat)) return 0;
    if (s === 0) s = lru.acquire(key, now, next);
    vals[s] = next;
    exps[s] = next;
    return (next - tat) / interval;
  }

  return {
    capacity: opts.capacity,
    bytes: lruBytes(opts.capacity),
    take: (key, now, cost = 1) => takeWith(key, now, cost, opts.rate, opts.burst),
    takeWith,
    debit,
    watch(s) {
      sink = s;
    },
    remaining(key, now, rate = opts.rate, burst = opts.burst) {
      const tat = lru.get(key, now, now);
      return burst - Math.max(0, tat - now) * (rate / 1000);
    },
    size: () => lru.size(),
    evictions: () => lru.evictions(),
    clear: () => lru.clear(),
  };
}

/**
 * A sampled take stands for this share of the rule's burst. Why sample at
 * all: a client spread evenly over N workers at under `rate` per worker
 * never gets a bucket past half (GCRA refills between its requests), so
 * heavy takes alone would leave it N× the limit. Sampling with probability
 * cost / (burst/16) and weight burst/16 charges the other workers its usage
 * without bias, and a person is over-charged elsewhere by at most 1/16 of a
 * burst per sample (rules with a burst under 16 are reported exactly). An
 * eighth was noisy enough to refuse a few requests of a client at 83% of its
 * rate (simulated, policy/limits-usage.test.ts); a sixteenth refused none.
 */
export const SAMPLE_SHARE = 1 / 16;

// xorshift32 state in a typed array: a closure variable holding a uint32 would be a boxed double on every store.
const rng = new Int32Array([0x2545f491 ^ (Date.now() | 0) || 1]);

/** A uniform draw in [0, 1) (xorshift32: cheaper than Math.random on this path; not for secrets). */
function draw(): number {
  let x = rng[0];
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  rng[0] = x;
  return (x >>> 0) / 4294967296;
}

function report(
  sink: TakeSink,
  key: number,
  depthMs: number,
  cost: number,
  rate: number,
  burst: number,
  interval: number,
): void {
  if (depthMs > burst * interval * 0.5) {
    sink.note(key, cost, rate, burst);
    return;
  }
  const w = burst * SAMPLE_SHARE;
  if (w <= cost) sink.note(key, cost, rate, burst);
  else if (draw() * w < cost) sink.note(key, w, rate, burst);
}

function checkRate(rate: number, burst: number): void {
  if (!(rate > 0) || !Number.isFinite(rate))
    throw new RangeError(`token bucket rate must be a positive number of tokens per second, got ${rate}`);
  if (!(burst >= 1) || !Number.isFinite(burst))
    throw new RangeError(`token bucket burst must be at least 1 token, got ${burst}`);
}
