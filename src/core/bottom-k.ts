// Bottom-k sketch (k minimum values) of distinct keys with two labels each (a
// country slot and an ASN): a uniform sample of the distinct set that merges
// across workers and nodes (union, keep the k smallest hashes), so distinct
// counts per label are unions, never sums of per-worker counts. Exact while
// fewer than k distinct keys were seen; beyond, an estimate with relative
// standard error ≈ 1/√(k·share) per label (1/√(k−2) for the whole).
// Memory ceiling: 12·k bytes (k=4096: 48 KiB). add(): O(log k), no allocation;
// call it once per distinct key (the caller's seen-set already filters).

/** Relative standard error of a bottom-k estimate of `share` (0..1] of the distinct set. */
export function bottomKError(k: number, share = 1): number {
  return share >= 1 ? 1 / Math.sqrt(Math.max(1, k - 2)) : Math.sqrt((1 - share) / Math.max(1, k * share));
}

export class BottomK {
  readonly k: number;
  /** Max-heap of the k smallest hashes, with their labels at the same index. */
  private readonly h: Uint32Array;
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;
  private n = 0;

  constructor(k = 4096) {
    if (!(Number.isInteger(k) && k >= 2 && k <= 1 << 20))
      throw new RangeError('bottom-k size must be an integer in 2..2^20');
    this.k = k;
    this.h = new Uint32Array(k);
    this.a = new Uint32Array(k);
    this.b = new Uint32Array(k);
  }

  get size(): number {
    return this.n;
  }

  /** A distinct, well-mixed 32-bit hash with its labels. */
  add(hash: number, la: number, lb: number): void {
    hash >>>= 0;
    const h = this.h;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (h[p] >= hash) break;
        this.move(i, p);
        i = p;
      }
      this.put(i, hash, la, lb);
      return;
    }
    if (hash >= h[0]) return;
    let i = 0;
    const n = this.n;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && h[l + 1] > h[l] ? l + 1 : l;
      if (h[c] <= hash) break;
      this.move(i, c);
      i = c;
    }
    this.put(i, hash, la, lb);
  }

  private move(to: number, from: number): void {
    this.h[to] = this.h[from];
    this.a[to] = this.a[from];
    this.b[to] = this.b[from];
  }

  private put(i: number, hash: number, la: number, lb: number): void {
    this.h[i] = hash;
    this.a[i] = la;
    this.b[i] = lb;
  }

  /** The sample as [hash, a, b] triples (to send to another process; mergeSamples() there). */
  export(): Uint32Array {
    const out = new Uint32Array(this.n * 3);
    for (let i = 0; i < this.n; i++) {
      out[3 * i] = this.h[i];
      out[3 * i + 1] = this.a[i];
      out[3 * i + 2] = this.b[i];
    }
    return out;
  }

  clear(): void {
    this.n = 0;
  }
}

export interface MergedSample {
  /** Estimated distinct keys of the union (exact when !saturated). */
  distinct: number;
  /** The union held k or more keys: figures are estimates. */
  saturated: boolean;
  k: number;
  /** Distinct keys per label (estimates scaled from the sample when saturated). */
  byA: Map<number, number>;
  byB: Map<number, number>;
}

/** Union of exported samples of one k: the k smallest distinct hashes of all of them. O(total · log total). */
export function mergeSamples(samples: readonly Uint32Array[], k: number): MergedSample {
  const all: [number, number, number][] = [];
  for (const s of samples) for (let i = 0; i + 2 < s.length; i += 3) all.push([s[i], s[i + 1], s[i + 2]]);
  all.sort((x, y) => x[0] - y[0]);
  const kept: [number, number, number][] = [];
  for (const e of all) {
    if (kept.length > 0 && kept[kept.length - 1][0] === e[0]) continue;
    kept.push(e);
    if (kept.length === k) break;
  }
  const saturated = kept.length >= k;
  // KMV: (k−1) / (k-th smallest hash as a fraction of the hash space).
  const distinct = saturated ? Math.round((k - 1) / ((kept[k - 1][0] + 1) / 4294967296)) : kept.length;
  const scale = saturated ? distinct / k : 1;
  const byA = new Map<number, number>();
  const byB = new Map<number, number>();
  for (const [, a, b] of kept) {
    byA.set(a, (byA.get(a) ?? 0) + 1);
    byB.set(b, (byB.get(b) ?? 0) + 1);
  }
  if (scale !== 1) for (const m of [byA, byB]) for (const [key, c] of m) m.set(key, Math.round(c * scale));
  return { distinct, saturated, k, byA, byB };
}
