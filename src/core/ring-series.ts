// A per-second series of fixed length: the newest `length` values, older ones
// overwritten. For detector history and dashboards. Memory ceiling:
// length × 8 bytes (Float64Array), fixed at construction.
// push() is O(1) and allocation-free; toArray() allocates (tick/snapshot only).

export class RingSeries {
  readonly length: number;
  private readonly buf: Float64Array;
  private head = 0;
  /** Values pushed so far, capped at `length`. */
  count = 0;

  constructor(length: number) {
    if (!(Number.isInteger(length) && length >= 1))
      throw new RangeError('ring series length must be a positive integer');
    this.length = length;
    this.buf = new Float64Array(length);
  }

  push(v: number): void {
    this.buf[this.head] = v;
    this.head = (this.head + 1) % this.length;
    if (this.count < this.length) this.count++;
  }

  /** The value pushed `ago` pushes before the newest (0 = newest); NaN when absent. */
  at(ago: number): number {
    if (ago < 0 || ago >= this.count) return NaN;
    return this.buf[(this.head - 1 - ago + 2 * this.length) % this.length];
  }

  last(): number {
    return this.at(0);
  }

  /** Sum of the newest `n` values (fewer when fewer exist). */
  sum(n: number): number {
    const k = Math.min(n, this.count);
    let s = 0;
    for (let i = 0; i < k; i++) s += this.at(i);
    return s;
  }

  /** Mean of the newest `n` values; NaN when empty. */
  mean(n: number): number {
    const k = Math.min(n, this.count);
    return k === 0 ? NaN : this.sum(k) / k;
  }

  /** The newest `n` values, oldest first. */
  toArray(n = this.count): number[] {
    const k = Math.min(n, this.count);
    const out = new Array<number>(k);
    for (let i = 0; i < k; i++) out[i] = this.at(k - 1 - i);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
