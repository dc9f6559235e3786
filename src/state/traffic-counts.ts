// Per-second traffic figures of this process (requests, forwarded, refused)
// handed to SharedState.addCounts once a tick, so that globalCounts() gives
// the sums over all workers and nodes. observe() is O(1): three increments.
// A tick closes "the second before now": boundaries are approximate by < 1 s.
import type { RequestContext } from '../core/model.js';

export interface CountsSink {
  addCounts(second: number, counts: Record<string, number>): void;
}

export interface TrafficCounts {
  observe(ctx: RequestContext): void;
  tick(now: number): void;
}

export function createTrafficCounts(sink: CountsSink): TrafficCounts {
  let requests = 0;
  let forwarded = 0;
  let refused = 0;
  return {
    observe(ctx) {
      requests++;
      if (ctx.originMs >= 0) forwarded++;
      const a = ctx.verdict.action;
      if (a !== 'allow' && a !== 'serve') refused++;
    },
    tick(now) {
      if (requests === 0) return;
      sink.addCounts(Math.floor(now / 1000) - 1, { requests, forwarded, refused });
      requests = forwarded = refused = 0;
    },
  };
}
