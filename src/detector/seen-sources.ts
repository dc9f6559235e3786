// "Have we seen this address recently?": two generations of a 2^21-bit set
// indexed by the mixed client key, rotated every `generationMs` (default 10
// min), so "new" means "not seen in the last 10–20 minutes". A set bit may be
// a collision (an address wrongly taken as known: new sources are slightly
// under-counted, never invented). Memory ceiling: 2 × 256 KiB, whatever the
// number of addresses. Hot path: two array reads and one write, no allocation.
// The same structure, smaller and turned every 10 s, remembers the query
// parameter names lately sent (query-names.ts).
import { mix32 } from '../core/hash.js';

const BITS = 21;

export class SeenSources {
  private cur: Uint32Array;
  private prev: Uint32Array;
  private rotatedAt = -1;
  readonly generationMs: number;
  private readonly bits: number;

  /** `bits`: log2 of each generation's size (21 for addresses; the window's query names use a smaller set). */
  constructor(generationMs = 600_000, bits = BITS) {
    this.generationMs = generationMs;
    this.bits = bits;
    this.cur = new Uint32Array((1 << bits) >>> 5);
    this.prev = new Uint32Array((1 << bits) >>> 5);
  }

  get bytes(): number {
    return this.cur.byteLength + this.prev.byteLength;
  }

  /** The key's bit: its index in the set (word = index >>> 5, bit = index & 31). */
  private index(key: number): number {
    return mix32(key) >>> (32 - this.bits);
  }

  /** Marks the key as seen; true when it was not seen in the last one or two generations. */
  visit(key: number): boolean {
    const h = this.index(key);
    const w = h >>> 5;
    const bit = 1 << (h & 31);
    if ((this.cur[w] & bit) !== 0) return false;
    this.cur[w] |= bit;
    return (this.prev[w] & bit) === 0;
  }

  /** Whether the key was seen in the last one or two generations, without marking it. */
  has(key: number): boolean {
    const h = this.index(key);
    return ((this.cur[h >>> 5] | this.prev[h >>> 5]) & (1 << (h & 31))) !== 0;
  }

  /** Both generations and when the current one began (persisted with the detector's learned state). */
  exportState(): { cur: Uint32Array; prev: Uint32Array; rotatedAt: number } {
    return { cur: this.cur.slice(), prev: this.prev.slice(), rotatedAt: this.rotatedAt };
  }

  /** Takes back exported generations; ones of another size are ignored. */
  importState(st: { cur: Uint32Array; prev: Uint32Array; rotatedAt: number }): boolean {
    if (st.cur.length !== this.cur.length || st.prev.length !== this.prev.length) return false;
    this.cur.set(st.cur);
    this.prev.set(st.prev);
    this.rotatedAt = st.rotatedAt;
    return true;
  }

  /** Called once a second: starts a new generation when the current one is old. */
  tick(now: number): void {
    if (this.rotatedAt < 0) this.rotatedAt = now;
    if (now - this.rotatedAt < this.generationMs) return;
    const old = this.prev;
    this.prev = this.cur;
    old.fill(0);
    this.cur = old;
    this.rotatedAt = now;
  }
}
