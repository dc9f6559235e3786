// Bounded LRU keyed by uint32 numbers, each entry with one float64 value and
// an expiry (ms). Not a general cache: no object values, no string keys.
// Memory ceiling, fixed at construction: 36 bytes × capacity (key 4, value 8,
// expiry 8, prev/next/chain links 12, hash head 4 — the head table is the
// next power of two ≥ capacity, so up to 40 B). Slots are 1-based (0 = none)
// so the zeroed arrays need no fill: untouched pages cost no RSS until used.
// Hot path: O(1) expected per get/put, no allocation; a full table evicts the
// least recently used entry (expired entries sink to the tail first).

export interface Lru {
  readonly capacity: number;
  /** Live entries (including expired ones not yet reclaimed). */
  size(): number;
  /** Entries pushed out to make room for new keys since creation. */
  evictions(): number;
  /** The slot of a live key (refreshed as most recent), or 0 when absent or expired. */
  find(key: number, now: number): number;
  /**
   * The slot of `key`, creating it (evicting the LRU entry if full) when
   * absent or expired. `created()` tells whether the last acquire made it.
   */
  acquire(key: number, now: number, expiresAt: number): number;
  created(): boolean;
  value(slot: number): number;
  setValue(slot: number, v: number): void;
  /**
   * Slot-indexed storage behind value()/expiresAt(), for hot loops that would
   * otherwise pass doubles through calls (each may box). Write only at a slot
   * just returned by find/acquire.
   */
  readonly values: Float64Array;
  readonly expiries: Float64Array;
  expiresAt(slot: number): number;
  setExpiresAt(slot: number, at: number): void;
  /** Convenience over find/value: the value, or `missing`. */
  get(key: number, now: number, missing?: number): number;
  /** Convenience over acquire: stores value with expiry `expiresAt`. */
  set(key: number, v: number, now: number, expiresAt: number): void;
  delete(key: number): boolean;
  clear(): void;
}

/** Bytes a table of this capacity can hold at most (its ceiling). */
export function lruBytes(capacity: number): number {
  return capacity * 32 + headSize(capacity) * 4;
}

function headSize(capacity: number): number {
  let n = 16;
  while (n < capacity) n *= 2;
  return n;
}

/** Multiplicative hash (Knuth): high bits of key × golden ratio. */
function hashOf(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

export function createLru(capacity: number): Lru {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 28)
    throw new RangeError(`LRU capacity must be an integer in 1..2^28, got ${capacity}`);
  const n = headSize(capacity);
  const shift = 32 - Math.log2(n);
  const heads = new Int32Array(n);
  // Keys kept as int32 (`key | 0`): uint32 keys above 2^31 would be boxed doubles
  // on every call; as int32 they stay small integers. Same 32 bits, same identity.
  const keys = new Int32Array(capacity + 1);
  const vals = new Float64Array(capacity + 1);
  const exp = new Float64Array(capacity + 1);
  const prev = new Int32Array(capacity + 1);
  const next = new Int32Array(capacity + 1);
  const chain = new Int32Array(capacity + 1);
  // Recency list: head = most recent, tail = least recent. `fresh` hands out
  // never-used slots in order; `free` is a stack of reclaimed ones (via chain).
  let head = 0;
  let tail = 0;
  let count = 0;
  let fresh = 1;
  let free = 0;
  let evicted = 0;
  let made = false;

  function unlink(s: number): void {
    const p = prev[s];
    const x = next[s];
    if (p !== 0) next[p] = x;
    else head = x;
    if (x !== 0) prev[x] = p;
    else tail = p;
  }

  function pushFront(s: number): void {
    prev[s] = 0;
    next[s] = head;
    if (head !== 0) prev[head] = s;
    head = s;
    if (tail === 0) tail = s;
  }

  function lookup(key: number): number {
    let s = heads[hashOf(key, shift)];
    while (s !== 0 && keys[s] !== key) s = chain[s];
    return s;
  }

  /** Removes slot s from its hash chain and the recency list; returns it to the free stack. */
  function drop(s: number): void {
    const h = hashOf(keys[s], shift);
    let p = heads[h];
    if (p === s) heads[h] = chain[s];
    else {
      while (chain[p] !== s) p = chain[p];
      chain[p] = chain[s];
    }
    unlink(s);
    count--;
    chain[s] = free;
    free = s;
  }

  function take(): number {
    if (free !== 0) {
      const s = free;
      free = chain[s];
      return s;
    }
    if (fresh <= capacity) return fresh++;
    evicted++;
    const s = tail;
    drop(s);
    free = chain[s];
    return s;
  }

  function find(key: number, now: number): number {
    const s = lookup(key | 0);
    if (s === 0) return 0;
    if (exp[s] <= now) {
      drop(s);
      return 0;
    }
    if (head !== s) {
      unlink(s);
      pushFront(s);
    }
    return s;
  }

  function acquire(key: number, now: number, expiresAt: number): number {
    key |= 0;
    let s = lookup(key);
    if (s !== 0 && exp[s] > now) {
      made = false;
      if (head !== s) {
        unlink(s);
        pushFront(s);
      }
      return s;
    }
    if (s !== 0) drop(s);
    // Reclaim an expired tail before evicting a live entry.
    if (free === 0 && fresh > capacity && tail !== 0 && exp[tail] <= now) drop(tail);
    s = take();
    keys[s] = key;
    vals[s] = 0;
    exp[s] = expiresAt;
    const h = hashOf(key, shift);
    chain[s] = heads[h];
    heads[h] = s;
    pushFront(s);
    count++;
    made = true;
    return s;
  }

  return {
    capacity,
    size: () => count,
    evictions: () => evicted,
    find,
    acquire,
    created: () => made,
    values: vals,
    expiries: exp,
    value: (s) => vals[s],
    setValue(s, v) {
      vals[s] = v;
    },
    expiresAt: (s) => exp[s],
    setExpiresAt(s, at) {
      exp[s] = at;
    },
    get(key, now, missing = NaN) {
      const s = find(key, now);
      return s === 0 ? missing : vals[s];
    },
    set(key, v, now, expiresAt) {
      const s = acquire(key, now, expiresAt);
      vals[s] = v;
    },
    delete(key) {
      const s = lookup(key | 0);
      if (s === 0) return false;
      drop(s);
      return true;
    },
    clear() {
      heads.fill(0);
      head = tail = count = free = 0;
      fresh = 1;
    },
  };
}
