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
  return new SlotLru(capacity);
}

/**
 * The table behind createLru: parallel typed arrays indexed by slot, a hash of
 * chained slots, and a doubly linked recency list. Fields are all set in the
 * constructor (one fixed shape); methods only read and write typed arrays.
 */
class SlotLru implements Lru {
  readonly capacity: number;
  readonly values: Float64Array;
  readonly expiries: Float64Array;
  private readonly shift: number;
  private readonly heads: Int32Array;
  // Keys kept as int32 (`key | 0`): uint32 keys above 2^31 would be boxed doubles
  // on every call; as int32 they stay small integers. Same 32 bits, same identity.
  private readonly keys: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly chain: Int32Array;
  // Recency list: head = most recent, tail = least recent. `fresh` hands out
  // never-used slots in order; `free` is a stack of reclaimed ones (via chain).
  private head = 0;
  private tail = 0;
  private count = 0;
  private fresh = 1;
  private free = 0;
  private evicted = 0;
  private made = false;

  constructor(capacity: number) {
    const n = headSize(capacity);
    this.capacity = capacity;
    this.shift = 32 - Math.log2(n);
    this.heads = new Int32Array(n);
    this.keys = new Int32Array(capacity + 1);
    this.values = new Float64Array(capacity + 1);
    this.expiries = new Float64Array(capacity + 1);
    this.prev = new Int32Array(capacity + 1);
    this.next = new Int32Array(capacity + 1);
    this.chain = new Int32Array(capacity + 1);
  }

  size(): number {
    return this.count;
  }

  evictions(): number {
    return this.evicted;
  }

  created(): boolean {
    return this.made;
  }

  value(slot: number): number {
    return this.values[slot];
  }

  setValue(slot: number, v: number): void {
    this.values[slot] = v;
  }

  expiresAt(slot: number): number {
    return this.expiries[slot];
  }

  setExpiresAt(slot: number, at: number): void {
    this.expiries[slot] = at;
  }

  find(key: number, now: number): number {
    const s = this.lookup(key | 0);
    if (s === 0) return 0;
    if (this.expiries[s] <= now) {
      this.drop(s);
      return 0;
    }
    this.touch(s);
    return s;
  }

  acquire(key: number, now: number, expiresAt: number): number {
    const k = key | 0;
    let s = this.lookup(k);
    if (s !== 0 && this.expiries[s] > now) {
      this.made = false;
      this.touch(s);
      return s;
    }
    if (s !== 0) this.drop(s);
    // Reclaim an expired tail before evicting a live entry.
    const full = this.free === 0 && this.fresh > this.capacity;
    if (full && this.tail !== 0 && this.expiries[this.tail] <= now) this.drop(this.tail);
    s = this.take();
    this.keys[s] = k;
    this.values[s] = 0;
    this.expiries[s] = expiresAt;
    const h = hashOf(k, this.shift);
    this.chain[s] = this.heads[h];
    this.heads[h] = s;
    this.pushFront(s);
    this.count++;
    this.made = true;
    return s;
  }

  get(key: number, now: number, missing = Number.NaN): number {
    const s = this.find(key, now);
    return s === 0 ? missing : this.values[s];
  }

  set(key: number, v: number, now: number, expiresAt: number): void {
    const s = this.acquire(key, now, expiresAt);
    this.values[s] = v;
  }

  delete(key: number): boolean {
    const s = this.lookup(key | 0);
    if (s === 0) return false;
    this.drop(s);
    return true;
  }

  clear(): void {
    this.heads.fill(0);
    this.head = 0;
    this.tail = 0;
    this.count = 0;
    this.free = 0;
    this.fresh = 1;
  }

  /** Moves slot s to the front of the recency list (most recent). */
  private touch(s: number): void {
    if (this.head === s) return;
    this.unlink(s);
    this.pushFront(s);
  }

  private unlink(s: number): void {
    const p = this.prev[s];
    const x = this.next[s];
    if (p !== 0) this.next[p] = x;
    else this.head = x;
    if (x !== 0) this.prev[x] = p;
    else this.tail = p;
  }

  private pushFront(s: number): void {
    this.prev[s] = 0;
    this.next[s] = this.head;
    if (this.head !== 0) this.prev[this.head] = s;
    this.head = s;
    if (this.tail === 0) this.tail = s;
  }

  private lookup(key: number): number {
    let s = this.heads[hashOf(key, this.shift)];
    while (s !== 0 && this.keys[s] !== key) s = this.chain[s];
    return s;
  }

  /** Removes slot s from its hash chain and the recency list; returns it to the free stack. */
  private drop(s: number): void {
    const h = hashOf(this.keys[s], this.shift);
    let p = this.heads[h];
    if (p === s) this.heads[h] = this.chain[s];
    else {
      while (this.chain[p] !== s) p = this.chain[p];
      this.chain[p] = this.chain[s];
    }
    this.unlink(s);
    this.count--;
    this.chain[s] = this.free;
    this.free = s;
  }

  /** A slot for a new entry: a reclaimed one, a never-used one, or the evicted tail. */
  private take(): number {
    if (this.free !== 0) {
      const s = this.free;
      this.free = this.chain[s];
      return s;
    }
    if (this.fresh <= this.capacity) return this.fresh++;
    this.evicted++;
    const s = this.tail;
    this.drop(s);
    this.free = this.chain[s];
    return s;
  }
}
