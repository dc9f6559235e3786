// "Hit-for-pass" marks (after Varnish): URLs whose last origin answer could not
// be stored are remembered for a few seconds, so that concurrent requests for
// them go to the origin side by side instead of queueing behind one another
// for an answer that will not be shared. Fixed table of 32-bit key hashes and
// expiry seconds: memory = 8 bytes × slots, set at construction; O(1).
import { fnv1a } from '../core/hash.js';

export class PassMarks {
  private readonly hashes: Uint32Array;
  private readonly until: Uint32Array;
  private readonly mask: number;
  private readonly ttlSec: number;

  constructor(slots = 8192, ttlMs = 5_000) {
    let n = 1024;
    while (n < slots) n <<= 1;
    this.hashes = new Uint32Array(n);
    this.until = new Uint32Array(n);
    this.mask = n - 1;
    this.ttlSec = Math.max(1, Math.ceil(ttlMs / 1000));
  }

  static hash(key: string): number {
    return fnv1a(key) >>> 0;
  }

  mark(h: number, nowMs: number): void {
    const i = h & this.mask;
    this.hashes[i] = h;
    this.until[i] = Math.floor(nowMs / 1000) + this.ttlSec;
  }

  has(h: number, nowMs: number): boolean {
    const i = h & this.mask;
    return this.hashes[i] === h && this.until[i] > Math.floor(nowMs / 1000);
  }

  /** A stored answer clears the mark. */
  clear(h: number): void {
    const i = h & this.mask;
    if (this.hashes[i] === h) this.until[i] = 0;
  }
}
