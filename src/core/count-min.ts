// Count-min sketch over uint32 keys with conservative update: estimates are
// never below the true count and over-count by at most e·N/width with
// probability 1 − e^−depth. Used for baselines of paths, fingerprints,
// prefixes. Memory ceiling: width × depth × 4 bytes, fixed at construction
// (default 2048 × 4 = 32 KiB), whatever the number of keys.
// Hot path: add() is O(depth), no allocation.
import { mix32 } from './hash.js';

export class CountMin {
  readonly width: number;
  readonly depth: number;
  private readonly mask: number;
  private readonly cells: Uint32Array;
  /** Sum of everything added (after halvings): the N in the error bound. */
  total = 0;

  /** `width` is rounded up to a power of two; depth ≤ 8. */
  constructor(width = 2048, depth = 4) {
    if (!(width >= 2) || !(depth >= 1 && depth <= 8))
      throw new RangeError('count-min needs width ≥ 2 and 1 ≤ depth ≤ 8');
    this.width = 1 << (32 - Math.clz32(width - 1));
    this.depth = depth;
    this.mask = this.width - 1;
    this.cells = new Uint32Array(this.width * depth);
  }

  get bytes(): number {
    return this.cells.byteLength;
  }

  /** Row r's cell for a key: double hashing (Kirsch–Mitzenmacher), two mixes for every row. */
  private index(h1: number, h2: number, row: number): number {
    return row * this.width + ((h1 + Math.imul(row, h2)) & this.mask);
  }

  /** Conservative update: raise only the cells that are below the new estimate. */
  add(key: number, n = 1): void {
    const c = this.cells;
    const h1 = mix32(key);
    const h2 = mix32(h1 ^ 0x9e3779b9) | 1;
    const target = Math.min(this.minCell(h1, h2) + n, 0xffffffff);
    for (let r = 0; r < this.depth; r++) {
      const i = this.index(h1, h2, r);
      if (c[i] < target) c[i] = target;
    }
    this.total += n;
  }

  estimate(key: number): number {
    const h1 = mix32(key);
    return this.minCell(h1, mix32(h1 ^ 0x9e3779b9) | 1);
  }

  /** The smallest of the key's cells over the rows: its estimate. */
  private minCell(h1: number, h2: number): number {
    const c = this.cells;
    let min = 0xffffffff;
    for (let r = 0; r < this.depth; r++) {
      const v = c[this.index(h1, h2, r)];
      if (v < min) min = v;
    }
    return min;
  }

  /** Ages the sketch: every count halves (a decayed baseline). */
  halve(): void {
    const c = this.cells;
    for (let i = 0; i < c.length; i++) c[i] >>>= 1;
    this.total /= 2;
  }

  /** Adds another sketch of the same shape cell by cell (still an over-estimate of the sum). */
  merge(other: CountMin): void {
    if (other.width !== this.width || other.depth !== this.depth)
      throw new RangeError('count-min merge needs the same width and depth');
    const a = this.cells;
    const b = other.cells;
    for (let i = 0; i < a.length; i++) a[i] = Math.min(a[i] + b[i], 0xffffffff);
    this.total += other.total;
  }

  /** A copy of the cells and the total (to send to another process: mergeCells() there). */
  exportCells(): { cells: Uint32Array; total: number } {
    return { cells: this.cells.slice(), total: this.total };
  }

  /** Adds cells exported by exportCells() of a sketch of the same shape. */
  mergeCells(cells: Uint32Array, total: number): void {
    const a = this.cells;
    if (cells.length !== a.length) throw new RangeError('count-min merge needs the same width and depth');
    for (let i = 0; i < a.length; i++) a[i] = Math.min(a[i] + cells[i], 0xffffffff);
    this.total += total;
  }

  clear(): void {
    this.cells.fill(0);
    this.total = 0;
  }
}
