// Space-saving heavy hitters (Metwally et al. 2005) over uint32 keys: the
// `capacity` most frequent keys with counts that over-estimate by at most
// `error` (≤ N/capacity). Each tracked entry may carry a string label (the
// address text, the path) kept only while the entry is tracked; offering a
// label is free when the caller already holds the string.
// Memory ceiling: capacity × ~40 bytes + the labels of tracked entries.
// Hot path: offer() is O(log capacity) (min-heap + open-addressing index), no allocation.
import { mix32 } from './hash.js';

export interface HeavyHitter {
  key: number;
  count: number;
  /** Over-estimate bound: the true count is in [count − error, count]. */
  error: number;
  label: string;
}

export class SpaceSaving {
  readonly capacity: number;
  private readonly keys: Uint32Array;
  private readonly counts: Float64Array;
  private readonly errs: Float64Array;
  private readonly labels: string[];
  /** Min-heap of slots by count, and each slot's position in it. */
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  /** Open addressing (linear probing): slot + 1, 0 = empty. */
  private readonly table: Int32Array;
  private readonly mask: number;
  size = 0;
  /** Sum of all offered weights since the last clear. */
  total = 0;

  constructor(capacity = 64) {
    if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= 1 << 20))
      throw new RangeError('space-saving capacity must be an integer in 1..2^20');
    this.capacity = capacity;
    this.keys = new Uint32Array(capacity);
    this.counts = new Float64Array(capacity);
    this.errs = new Float64Array(capacity);
    this.labels = new Array<string>(capacity).fill('');
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
    const tsize = 1 << (32 - Math.clz32(capacity * 2 - 1));
    this.table = new Int32Array(Math.max(tsize, 2));
    this.mask = this.table.length - 1;
  }

  /** Bytes of the typed arrays (labels are the caller's strings). */
  get bytes(): number {
    return (
      this.keys.byteLength +
      this.counts.byteLength +
      this.errs.byteLength +
      this.heap.byteLength +
      this.pos.byteLength +
      this.table.byteLength +
      this.capacity * 8
    );
  }

  private find(key: number): number {
    let i = mix32(key) & this.mask;
    for (;;) {
      const s = this.table[i];
      if (s === 0) return -1;
      if (this.keys[s - 1] === key) return s - 1;
      i = (i + 1) & this.mask;
    }
  }

  private insert(slot: number): void {
    let i = mix32(this.keys[slot]) & this.mask;
    while (this.table[i] !== 0) i = (i + 1) & this.mask;
    this.table[i] = slot + 1;
  }

  /** Removes a key from the index with backward-shift deletion (no tombstones). */
  private unindex(key: number): void {
    const t = this.table;
    const mask = this.mask;
    let i = mix32(key) & mask;
    while (t[i] !== 0 && this.keys[t[i] - 1] !== key) i = (i + 1) & mask;
    if (t[i] === 0) return;
    t[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (t[j] === 0) return;
      const home = mix32(this.keys[t[j] - 1]) & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        t[i] = t[j];
        t[j] = 0;
        i = j;
      }
    }
  }

  private siftDown(h: number): void {
    const heap = this.heap;
    const counts = this.counts;
    const n = this.size;
    const slot = heap[h];
    const c = counts[slot];
    for (;;) {
      const l = 2 * h + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && counts[heap[r]] < counts[heap[l]] ? r : l;
      if (counts[heap[m]] >= c) break;
      heap[h] = heap[m];
      this.pos[heap[h]] = h;
      h = m;
    }
    heap[h] = slot;
    this.pos[slot] = h;
  }

  private siftUp(h: number): void {
    const heap = this.heap;
    const slot = heap[h];
    const c = this.counts[slot];
    while (h > 0) {
      const p = (h - 1) >> 1;
      if (this.counts[heap[p]] <= c) break;
      heap[h] = heap[p];
      this.pos[heap[h]] = h;
      h = p;
    }
    heap[h] = slot;
    this.pos[slot] = h;
  }

  /** Counts `n` occurrences of `key`; `label` is kept if the key is (or becomes) tracked. */
  offer(key: number, n = 1, label = ''): void {
    key >>>= 0;
    this.total += n;
    let slot = this.find(key);
    if (slot >= 0) {
      this.counts[slot] += n;
      if (label !== '' && this.labels[slot] === '') this.labels[slot] = label;
      this.siftDown(this.pos[slot]);
      return;
    }
    if (this.size < this.capacity) {
      slot = this.size++;
      this.keys[slot] = key;
      this.counts[slot] = n;
      this.errs[slot] = 0;
      this.labels[slot] = label;
      this.insert(slot);
      this.heap[slot] = slot;
      this.siftUp(slot);
      return;
    }
    // Evict the minimum: the newcomer inherits its count as its error bound.
    slot = this.heap[0];
    const min = this.counts[slot];
    this.unindex(this.keys[slot]);
    this.keys[slot] = key;
    this.errs[slot] = min;
    this.counts[slot] = min + n;
    this.labels[slot] = label;
    this.insert(slot);
    this.siftDown(0);
  }

  /** Estimated count of a key (0 when not tracked; then its true count ≤ the minimum tracked). */
  estimate(key: number): number {
    const slot = this.find(key >>> 0);
    return slot < 0 ? 0 : this.counts[slot];
  }

  /** The label of a tracked key ('' when untracked or unlabelled). */
  labelOf(key: number): string {
    const slot = this.find(key >>> 0);
    return slot < 0 ? '' : this.labels[slot];
  }

  /** The smallest tracked count: an upper bound for any untracked key. */
  minCount(): number {
    return this.size < this.capacity ? 0 : this.counts[this.heap[0]];
  }

  /** The `n` largest entries, largest first (allocates: tick/snapshot only). */
  top(n = this.size): HeavyHitter[] {
    const out: HeavyHitter[] = [];
    for (let s = 0; s < this.size; s++)
      out.push({ key: this.keys[s], count: this.counts[s], error: this.errs[s], label: this.labels[s] });
    out.sort((a, b) => b.count - a.count || a.key - b.key);
    return out.length > n ? out.slice(0, n) : out;
  }

  clear(): void {
    this.size = 0;
    this.total = 0;
    this.table.fill(0);
    this.labels.fill('');
  }
}
