// Writes not yet confirmed by the shared store, coalesced by what they touch
// (the last write to a ban target, mitigation id or mode field wins) and
// replayed after a reconnect. Bounded: `cap` entries (default 20 000); the
// oldest is dropped (and counted) beyond that.

export interface OutboxOp {
  /** Coalescing key, e.g. "ban:203.0.113.7", "mode:override". */
  readonly key: string;
  readonly kind: 'ban' | 'unban' | 'mit' | 'unmit' | 'mode';
  readonly data: unknown;
  /** ms since the epoch after which replaying is pointless (expired ban); Infinity otherwise. */
  readonly until: number;
  /** A reseed: written only if absent from the store and not removed since it was made. */
  readonly seed?: boolean;
}

export class Outbox {
  private readonly ops = new Map<string, OutboxOp>();
  dropped = 0;

  constructor(private readonly cap = 20_000) {}

  get size(): number {
    return this.ops.size;
  }

  push(op: OutboxOp): void {
    this.ops.delete(op.key);
    if (this.ops.size >= this.cap) {
      const first = this.ops.keys().next();
      if (!first.done) {
        this.ops.delete(first.value);
        this.dropped++;
      }
    }
    this.ops.set(op.key, op);
  }

  has(key: string): boolean {
    return this.ops.has(key);
  }

  /** Removes `op` if it is still the latest write for its key. */
  settle(op: OutboxOp): void {
    if (this.ops.get(op.key) === op) this.ops.delete(op.key);
  }

  /** The ops in write order, skipping those expired at `now`. */
  pending(now: number): OutboxOp[] {
    const out: OutboxOp[] = [];
    for (const op of this.ops.values()) {
      if (op.until > now) out.push(op);
      else this.ops.delete(op.key);
    }
    return out;
  }
}
