// The exposure watch's per-key table (exposure.ts): for each client or /24, in
// an LRU of fixed size, its requests, 2xx/4xx/5xx, verified, bytes, longest
// sequential walk and a 512-bit bitmap of the record IDs it read. Not the
// watch's totals or its rows. Memory: ~120 B per key, fixed at construction;
// add() is O(1) and allocates nothing.
import { popcount } from '../core/hash.js';
import { createLru, type Lru } from '../core/lru.js';
import type { ExposureObserved } from './exposure.js';

export const BITMAP_WORDS = 16; // 512 bits per key: linear counting up to a few thousand IDs

/** Distinct IDs estimated from a row's 512-bit bitmap (linear counting). */
export function distinctOfBits(bits: Uint32Array, offset = 0): number {
  let zeros = 0;
  for (let w = 0; w < BITMAP_WORDS; w++) zeros += 32 - popcount(bits[offset + w]);
  if (zeros === 0) return 512 * Math.log(512);
  return Math.round(-512 * Math.log(zeros / 512));
}

export class ExposureTable {
  readonly lru: Lru;
  readonly req: Float64Array;
  readonly ok: Float64Array;
  readonly s4: Float64Array;
  readonly s5: Float64Array;
  readonly ver: Float64Array;
  readonly bytes: Float64Array;
  readonly lastId: Float64Array;
  readonly run: Float64Array;
  readonly best: Float64Array;
  readonly bits: Uint32Array;
  readonly labels: string[];
  constructor(n: number) {
    this.lru = createLru(n);
    this.req = new Float64Array(n + 1);
    this.ok = new Float64Array(n + 1);
    this.s4 = new Float64Array(n + 1);
    this.s5 = new Float64Array(n + 1);
    this.ver = new Float64Array(n + 1);
    this.bytes = new Float64Array(n + 1);
    this.lastId = new Float64Array(n + 1);
    this.run = new Float64Array(n + 1);
    this.best = new Float64Array(n + 1);
    this.bits = new Uint32Array((n + 1) * BITMAP_WORDS);
    this.labels = new Array<string>(n + 1).fill('');
  }
  add(key: number, label: string, c: ExposureObserved, id: number, idHash: number, now: number): void {
    const s = this.lru.acquire(key, now, now + 86_400_000);
    if (this.lru.created()) {
      this.req[s] = this.ok[s] = this.s4[s] = this.s5[s] = this.ver[s] = this.bytes[s] = this.run[s] = this.best[s] = 0;
      this.lastId[s] = -2;
      this.bits.fill(0, s * BITMAP_WORDS, (s + 1) * BITMAP_WORDS);
      this.labels[s] = label;
    }
    this.req[s]++;
    if (c.status >= 200 && c.status < 300) this.ok[s]++;
    else if (c.status >= 400 && c.status < 500) this.s4[s]++;
    else if (c.status >= 500) this.s5[s]++;
    if (c.verified) this.ver[s]++;
    this.bytes[s] += c.bytesOut;
    if (id >= 0) {
      const step = Math.abs(id - this.lastId[s]);
      this.run[s] = step === 1 ? this.run[s] + 1 : 0;
      if (this.run[s] > this.best[s]) this.best[s] = this.run[s];
      this.lastId[s] = id;
    }
    const b = idHash & 511;
    this.bits[s * BITMAP_WORDS + (b >>> 5)] |= 1 << (b & 31);
  }
  distinct(s: number): number {
    return distinctOfBits(this.bits, s * BITMAP_WORDS);
  }
  bitsOf(s: number): Uint32Array {
    return this.bits.slice(s * BITMAP_WORDS, (s + 1) * BITMAP_WORDS);
  }
  reset(): void {
    this.lru.clear();
  }
}
