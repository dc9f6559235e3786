// HyperLogLog distinct counter over 32-bit hashes (Flajolet et al. 2007, with
// linear counting for small sets and the 32-bit large-range correction).
// Standard error ≈ 1.04/√(2^p): p=10 → 3.3 %, p=12 → 1.6 %, p=14 → 0.8 %.
// Mergeable (register-wise max). Memory ceiling: 2^p bytes (p=12: 4 KiB).
// Hot path: add() is one clz and one compare, no allocation. Feed it
// well-mixed hashes: use addKey() for raw uint32 keys such as IPv4 addresses.
import { mix32 } from './hash.js';

export class HyperLogLog {
  readonly p: number;
  private readonly m: number;
  private readonly regs: Uint8Array;
  private readonly alphaMM: number;

  constructor(p = 12) {
    if (!(Number.isInteger(p) && p >= 4 && p <= 16))
      throw new RangeError('hyperloglog precision p must be an integer in 4..16');
    this.p = p;
    this.m = 1 << p;
    this.regs = new Uint8Array(this.m);
    const alpha = this.m >= 128 ? 0.7213 / (1 + 1.079 / this.m) : this.m === 64 ? 0.709 : this.m === 32 ? 0.697 : 0.673;
    this.alphaMM = alpha * this.m * this.m;
  }

  get bytes(): number {
    return this.regs.byteLength;
  }

  /** Adds a well-mixed 32-bit hash. */
  add(hash: number): void {
    const idx = hash >>> (32 - this.p);
    const w = (hash << this.p) >>> 0;
    const rank = w === 0 ? 32 - this.p + 1 : Math.clz32(w) + 1;
    if (rank > this.regs[idx]) this.regs[idx] = rank;
  }

  /** Adds a raw uint32 key (mixed first). */
  addKey(key: number): void {
    this.add(mix32(key));
  }

  count(): number {
    const regs = this.regs;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < regs.length; i++) {
      sum += 1 / (1 << regs[i]);
      if (regs[i] === 0) zeros++;
    }
    let e = this.alphaMM / sum;
    if (e <= 2.5 * this.m && zeros > 0) e = this.m * Math.log(this.m / zeros);
    else if (e > 4294967296 / 30) e = -4294967296 * Math.log(1 - e / 4294967296);
    return Math.round(e);
  }

  /** Folds another sketch of the same precision into this one. */
  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new RangeError(`cannot merge hyperloglog p=${other.p} into p=${this.p}`);
    const a = this.regs;
    const b = other.regs;
    for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
  }

  /** A copy of the registers (to send to another process: mergeRegisters() there). */
  registers(): Uint8Array {
    return this.regs.slice();
  }

  /** Folds registers exported by registers() of a sketch of the same precision. */
  mergeRegisters(b: Uint8Array): void {
    const a = this.regs;
    if (b.length !== a.length) throw new RangeError(`cannot merge ${b.length} hyperloglog registers into ${a.length}`);
    for (let i = 0; i < a.length; i++) if (b[i] > a[i]) a[i] = b[i];
  }

  clear(): void {
    this.regs.fill(0);
  }
}
