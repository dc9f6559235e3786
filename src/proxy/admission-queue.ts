// The admission priority queue: one FIFO per priority (0 = most important),
// each with its own size cap and deadline, plus a total cap across all. When
// the total is full an arrival displaces the oldest waiter of the lowest
// lower priority; if none is lower, the arrival itself is refused.
// Intrusive doubly-linked lists: O(1) push, pop, remove; no allocation.

export interface Waiter {
  priority: number;
  deadline: number;
  prev: Waiter | null;
  next: Waiter | null;
  queued: boolean;
}

export interface PriorityLimits {
  size: number;
  deadline: number;
}

export class PriorityQueue<W extends Waiter> {
  private readonly heads: (W | null)[];
  private readonly tails: (W | null)[];
  readonly depth: number[];
  private readonly limits: readonly PriorityLimits[];
  private readonly total: number;
  length = 0;

  constructor(limits: readonly PriorityLimits[], total: number) {
    this.limits = limits;
    this.total = total;
    this.heads = limits.map(() => null);
    this.tails = limits.map(() => null);
    this.depth = limits.map(() => 0);
  }

  deadlineOf(priority: number): number {
    return this.limits[priority].deadline;
  }

  /**
   * Enqueues `w` (its priority and deadline set by the caller). Returns null
   * when queued without displacing anyone, `w` itself when it is refused, or
   * the displaced lower-priority waiter (already removed) to be shed.
   */
  push(w: W): W | null {
    const p = w.priority;
    if (this.depth[p] >= this.limits[p].size) return w;
    let displaced: W | null = null;
    if (this.length >= this.total) {
      for (let q = this.heads.length - 1; q > p; q--) {
        const h = this.heads[q];
        if (h !== null) {
          displaced = h;
          this.remove(h);
          break;
        }
      }
      if (displaced === null) return w;
    }
    w.prev = this.tails[p];
    w.next = null;
    if (w.prev !== null) w.prev.next = w;
    else this.heads[p] = w;
    this.tails[p] = w;
    w.queued = true;
    this.depth[p]++;
    this.length++;
    return displaced;
  }

  /** Priority of the first waiter that shift() would return; the number of priorities when empty. */
  firstPriority(): number {
    for (let p = 0; p < this.heads.length; p++) if (this.heads[p] !== null) return p;
    return this.heads.length;
  }

  /** The first waiter of the highest priority, removed; null when empty. */
  shift(): W | null {
    for (let p = 0; p < this.heads.length; p++) {
      const h = this.heads[p];
      if (h !== null) {
        this.remove(h);
        return h;
      }
    }
    return null;
  }

  /** The oldest waiter whose deadline has passed, removed; null when none. */
  expired(now: number): W | null {
    for (let p = 0; p < this.heads.length; p++) {
      const h = this.heads[p];
      if (h !== null && h.deadline <= now) {
        this.remove(h);
        return h;
      }
    }
    return null;
  }

  remove(w: W): void {
    if (!w.queued) return;
    const p = w.priority;
    if (w.prev !== null) w.prev.next = w.next;
    else this.heads[p] = w.next as W | null;
    if (w.next !== null) w.next.prev = w.prev;
    else this.tails[p] = w.prev as W | null;
    w.prev = null;
    w.next = null;
    w.queued = false;
    this.depth[p]--;
    this.length--;
  }
}
