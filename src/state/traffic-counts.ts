// Per-second traffic figures of this process (requests, forwarded, refused)
// and per outcome (core/outcome.ts: `o.forwarded`, `o.cache`, … adding up to
// requests) handed to SharedState.addCounts once a tick, so that globalCounts()
// gives the sums over all workers and nodes. observe() is O(1), no allocation.
// A tick closes "the second before now": boundaries are approximate by < 1 s.
import type { RequestContext } from '../core/model.js';
import { OUTCOME_KEYS, OUTCOMES, outcomeOf } from '../core/outcome.js';

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
  const outcomes = new Float64Array(OUTCOMES.length);
  return {
    observe(ctx) {
      requests++;
      if (ctx.originMs >= 0) forwarded++;
      const a = ctx.verdict.action;
      if (a !== 'allow' && a !== 'serve') refused++;
      outcomes[outcomeOf(ctx.verdict, ctx.originMs)]++;
    },
    tick(now) {
      if (requests === 0) return;
      const counts: Record<string, number> = { requests, forwarded, refused };
      for (let i = 0; i < outcomes.length; i++) if (outcomes[i] > 0) counts[OUTCOME_KEYS[i]] = outcomes[i];
      sink.addCounts(Math.floor(now / 1000) - 1, counts);
      requests = forwarded = refused = 0;
      outcomes.fill(0);
    },
  };
}
