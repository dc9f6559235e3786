// Counts added locally and not yet flushed to the shared store, per second.
// Flushed once per sync pass (never per request); kept for at most `seconds`
// distinct seconds while the store is away (older ones are dropped).

export class PendingCounts {
  private bySecond = new Map<number, Record<string, number>>();

  constructor(private readonly seconds = 120) {}

  add(second: number, counts: Record<string, number>): void {
    let acc = this.bySecond.get(second);
    if (!acc) {
      if (this.bySecond.size >= this.seconds) {
        const oldest = Math.min(...this.bySecond.keys());
        if (second < oldest) return;
        this.bySecond.delete(oldest);
      }
      this.bySecond.set(second, (acc = {}));
    }
    for (const k in counts) {
      const v = counts[k];
      if (typeof v === 'number' && Number.isFinite(v)) acc[k] = (acc[k] ?? 0) + v;
    }
  }

  get(second: number): Record<string, number> | undefined {
    return this.bySecond.get(second);
  }

  /** Takes everything pending (the caller restores it if the flush fails). */
  take(): Map<number, Record<string, number>> {
    const out = this.bySecond;
    this.bySecond = new Map();
    return out;
  }

  restore(batch: Map<number, Record<string, number>>): void {
    for (const [s, c] of batch) this.add(s, c);
  }

  get size(): number {
    return this.bySecond.size;
  }
}
