// Per-second counters summed across workers/nodes, for the last `seconds`
// seconds (a ring; default 120). Memory: seconds × at most `maxNames` (256)
// numbers; counter names are the detector's fixed vocabulary, not client data.
// Not on the request path: written once per tick per process.

export const DEFAULT_COUNT_SECONDS = 120;
const MAX_NAMES = 256;

export class CounterWindow {
  private readonly seconds: Int32Array | number[];
  private readonly sums: (Map<string, number> | null)[];
  private latest = -Infinity;

  constructor(private readonly size = DEFAULT_COUNT_SECONDS) {
    this.seconds = new Array<number>(size).fill(-1);
    this.sums = new Array<Map<string, number> | null>(size).fill(null);
  }

  /** Adds counts of `second` (epoch seconds); seconds older than the window are ignored. */
  add(second: number, counts: Record<string, number>): boolean {
    if (!Number.isInteger(second) || second < 0 || second <= this.latest - this.size) return false;
    if (second > this.latest) this.latest = second;
    const i = second % this.size;
    let m = this.sums[i];
    if (this.seconds[i] !== second || m === null) {
      this.seconds[i] = second;
      this.sums[i] = m = new Map();
    }
    for (const name in counts) {
      const v = counts[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const had = m.get(name);
      if (had === undefined && m.size >= MAX_NAMES) continue;
      m.set(name, (had ?? 0) + v);
    }
    return true;
  }

  /** A copy of the sums of `second`, or null when nothing was added for it or it left the window. */
  get(second: number): Record<string, number> | null {
    if (!Number.isInteger(second) || second < 0 || second <= this.latest - this.size) return null;
    const i = second % this.size;
    const m = this.sums[i];
    if (this.seconds[i] !== second || m === null) return null;
    const out: Record<string, number> = {};
    for (const [k, v] of m) out[k] = v;
    return out;
  }

  /** Replaces the sums of `second` (a reconcile from the shared store). */
  set(second: number, counts: Record<string, number>): void {
    if (!Number.isInteger(second) || second < 0 || second <= this.latest - this.size) return;
    const i = second % this.size;
    this.seconds[i] = -1;
    this.sums[i] = null;
    this.add(second, counts);
  }
}
