// One request's place in admission: queued, admitted (holding a slot at the
// origin) or finished, and the origin outcome read off it when it ends. Not
// the queue (admission-queue.ts) nor the limit (admission-limit.ts).
// Memory: one small fixed-shape object per request that reaches admission.
import type { RequestContext, Verdict } from '../core/model.js';
import type { Waiter } from './admission-queue.js';
import type { Outcome } from './circuit.js';

export const PRIORITIES = ['priority', 'verified', 'known', 'new'] as const;
export type PriorityCounts = Record<(typeof PRIORITIES)[number], number>;

export const QUEUED = 0;
export const ADMITTED = 1;
export const FINISHED = 2;

export class Ticket implements Waiter {
  priority: number;
  deadline = 0;
  prev: Ticket | null = null;
  next: Ticket | null = null;
  queued = false;
  state = QUEUED;
  admittedAt = 0;
  inFlightAtAdmit = 0;
  resolve: ((v: Verdict | null) => void) | null = null;
  readonly ctx: RequestContext;
  readonly probe: boolean;
  readonly prevDone: ((ctx: RequestContext) => void) | null;
  done: (ctx: RequestContext) => void = () => {};

  constructor(ctx: RequestContext, priority: number, probe: boolean) {
    this.ctx = ctx;
    this.priority = priority;
    this.probe = probe;
    this.prevDone = ctx.onDone;
  }

  /** Hands the waiting request its answer (null: go on to the origin), at most once. */
  settle(v: Verdict | null): void {
    const r = this.resolve;
    this.resolve = null;
    if (r !== null) r(v);
  }
}

/** An origin outcome read off a finished request. */
export function outcomeOf(ctx: RequestContext): Outcome {
  const rule = ctx.verdict.rule;
  if (rule === 'origin/unavailable' || rule === 'origin/timeout' || rule === 'cache/stale') return 'fail';
  if (ctx.originMs < 0) return 'none';
  return ctx.status === 502 || ctx.status === 503 || ctx.status === 504 ? 'fail' : 'ok';
}
