// The admission stage: keeps the origin within its capacity. The circuit
// breaker decides first (open: stale copy or `origin/circuit-open`); then a
// concurrency limit (fixed or adaptive) admits at once or queues by priority
// — priority route classes, verified clients, known clients (first seen before
// the surge, or known_after ago), new clients —
// with deadlines; the lowest priority is shed first (503 + Retry-After, or a
// stale copy when the cache has one: `origin/shed`, `cache/stale`). Each
// admitted request is released exactly once, from ctx.onDone. Not the cache.
// Per request: one ticket object; queue operations O(1); one sweep timer.
import {
  CLIENT_FRESH,
  verdict,
  type RequestContext,
  type Stage,
  type StageResult,
  type Verdict,
} from '../core/model.js';
import type { AdmissionConfig, CircuitConfig } from '../config/schema/origin-protection.js';
import { fixedLimit, GradientLimit, type Limit } from './admission-limit.js';
import { PriorityQueue, type Waiter } from './admission-queue.js';
import { Circuit, type CircuitSnapshot, type Outcome } from './circuit.js';

export const PRIORITIES = ['priority', 'verified', 'known', 'new'] as const;
const QUEUED = 0;
const ADMITTED = 1;
const FINISHED = 2;

export interface AdmissionStats {
  inFlight: number;
  limit: number;
  adaptive: boolean;
  /** Latency (ms, admission to first byte) the adaptive limit last saw: short and long run. */
  originMs: { short: number; long: number };
  queued: Record<(typeof PRIORITIES)[number], number>;
  shed: Record<(typeof PRIORITIES)[number], number>;
  /** Of the shed: how many waited until their deadline. */
  expired: Record<(typeof PRIORITIES)[number], number>;
  admitted: number;
  /** Clients that left while queued. */
  abandoned: number;
  staleInsteadOfShed: number;
  circuitRefused: number;
  /** 0 closed, 1 half-open, 2 open (-1: breaker disabled); details (reason, since) in `circuit`. */
  circuitState: number;
  circuitOpened: number;
  circuit: CircuitSnapshot | null;
}

export interface Admission {
  readonly stage: Stage;
  stats(): AdmissionStats;
  /** Requests this admission has at the origin now. */
  inFlight(): number;
  close(): void;
}

export interface AdmissionDeps {
  now(): number;
  /** Processes sharing the origin (cluster workers): each takes limit / shares, at least 1. Default 1. */
  shares?: number;
  /** The admission of the graph a reload replaces: its requests still at the origin count against this limit. */
  previous?: Admission | null;
  /**
   * When the surge the detector is answering began (ms since the epoch; 0 when
   * none): clients first seen before it are known at once. Without one, a
   * client is known `known_after` after it was first seen.
   */
  surgeSince?: () => number;
}

class Ticket implements Waiter {
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
}

const count = () => ({ priority: 0, verified: 0, known: 0, new: 0 });

/** An origin outcome read off a finished request. */
function outcomeOf(ctx: RequestContext): Outcome {
  const rule = ctx.verdict.rule;
  if (rule === 'origin/unavailable' || rule === 'origin/timeout' || rule === 'cache/stale') return 'fail';
  if (ctx.originMs < 0) return 'none';
  return ctx.status === 502 || ctx.status === 503 || ctx.status === 504 ? 'fail' : 'ok';
}

export function compileAdmission(a: AdmissionConfig, c: CircuitConfig, deps: AdmissionDeps): Admission {
  const now = deps.now;
  const enabled = a.enabled;
  const shares = Math.max(1, deps.shares ?? 1);
  const share = (n: number) => Math.max(1, Math.floor(n / shares));
  const limit: Limit = !enabled
    ? fixedLimit(Number.MAX_SAFE_INTEGER)
    : a.concurrency === 'auto'
      ? new GradientLimit({
          initial: share(Math.min(a.maxConcurrency, Math.max(a.minConcurrency, 20))),
          min: share(a.minConcurrency),
          max: share(a.maxConcurrency),
          tolerance: a.latencyTolerance,
        })
      : fixedLimit(share(a.concurrency));
  const queue = new PriorityQueue<Ticket>(
    PRIORITIES.map((p) => a.queue[p]),
    enabled ? a.queueSize : 0,
  );
  const knownAfter = a.knownAfter;
  const surgeSince = deps.surgeSince ?? (() => 0);
  const priorityClasses = new Set(a.priorityClasses);
  const circuit = c.enabled
    ? new Circuit({
        failures: c.failures,
        failureRatio: c.failureRatio,
        minRequests: c.minRequests,
        windowMs: c.window,
        openFor: c.openFor,
        maxOpenFor: c.maxOpenFor,
        probes: c.probes,
      })
    : null;
  const SHED = verdict('origin/shed', 'limit', 503, Math.ceil(a.retryAfter / 1000));
  const OPEN = verdict('origin/circuit-open', 'error', 503, Math.ceil(c.openFor / 1000));
  const STALE = verdict('cache/stale', 'serve', 200);
  // Slots that known and new clients may not take: a donation or a verified
  // person finds a free slot at once instead of queueing behind a flood
  // (partitioned limits, Netflix concurrency-limits).
  const reserve = a.reservedShare;
  const capFor = (p: number): number => (p < 2 ? limit.get() : Math.max(1, Math.floor(limit.get() * (1 - reserve))));
  const st = { admitted: 0, abandoned: 0, staleInsteadOfShed: 0, circuitRefused: 0, shed: count(), expired: count() };
  let inFlight = 0;
  let sweep: NodeJS.Timeout | null = null;
  // After a reload the old graph's requests still at the origin take slots
  // too (their release runs there; the sweep notices the freed slots).
  let previous = deps.previous ?? null;
  const busy = (): number => {
    if (previous === null) return inFlight;
    const n = previous.inFlight();
    if (n === 0) previous = null;
    return inFlight + n;
  };

  function fallback(ctx: RequestContext, v: Verdict): Verdict {
    const sink = ctx.cacheSink;
    if (sink?.serveStale(ctx)) {
      st.staleInsteadOfShed++;
      return STALE;
    }
    return v;
  }

  function shed(t: Ticket, expired: boolean): void {
    t.state = FINISHED;
    const name = PRIORITIES[t.priority];
    st.shed[name]++;
    if (expired) st.expired[name]++;
    const r = t.resolve;
    t.resolve = null;
    if (r !== null) r(fallback(t.ctx, SHED));
  }

  function admit(t: Ticket, at: number): void {
    t.state = ADMITTED;
    t.admittedAt = at;
    t.inFlightAtAdmit = ++inFlight;
    st.admitted++;
    const r = t.resolve;
    t.resolve = null;
    if (r !== null) r(null);
  }

  function drain(at: number): void {
    if (circuit !== null && circuit.state === 'open') {
      for (let w = queue.shift(); w !== null; w = queue.shift()) {
        st.circuitRefused++;
        w.state = FINISHED;
        const r = w.resolve;
        w.resolve = null;
        if (r !== null) r(fallback(w.ctx, OPEN));
      }
      return;
    }
    while (queue.length > 0 && busy() < capFor(queue.firstPriority())) {
      const w = queue.shift()!;
      if (w.deadline <= at) shed(w, true);
      else admit(w, at);
    }
  }

  function onSweep(): void {
    const at = now();
    for (let w = queue.expired(at); w !== null; w = queue.expired(at)) shed(w, true);
    drain(at);
    if (queue.length === 0 && sweep !== null) {
      clearInterval(sweep);
      sweep = null;
    }
  }

  function release(t: Ticket, ctx: RequestContext): void {
    const at = now();
    if (t.state === QUEUED) {
      queue.remove(t);
      st.abandoned++;
    } else if (t.state === ADMITTED) {
      inFlight--;
      const outcome = outcomeOf(ctx);
      if (outcome !== 'none') {
        const rtt = ctx.originMs >= 0 ? ctx.originMs - (t.admittedAt - ctx.startedAt) : at - t.admittedAt;
        limit.sample(rtt, outcome === 'fail', t.inFlightAtAdmit, at);
      }
      if (circuit !== null) circuit.record(at, outcome, t.probe);
    }
    t.state = FINISHED;
    drain(at);
  }

  function priorityOf(ctx: RequestContext, at: number): number {
    if (priorityClasses.has(ctx.routeClass)) return 0;
    if (ctx.verified) return 1;
    // Known: seen before this request (its seen cookie, or the client book) and before the surge
    // began, or known_after ago when no surge time is set. A client's first request is never known.
    const seen = ctx.seenAt;
    if (seen > 0 && ctx.clientState !== CLIENT_FRESH) {
      const surge = surgeSince();
      if (surge > 0 ? seen < surge : at - seen >= knownAfter) return 2;
    }
    return 3;
  }

  const stage: Stage = {
    name: 'admission',
    run(ctx): StageResult {
      if (ctx.upgradeHead !== null) return null; // tunnels are long-lived: not counted against request concurrency
      const at = now();
      let probe = false;
      if (circuit !== null) {
        const d = circuit.allow(at);
        if (d === 'open') {
          st.circuitRefused++;
          return fallback(ctx, OPEN);
        }
        probe = d === 'probe';
      }
      const t = new Ticket(ctx, priorityOf(ctx, at), probe);
      const prev = t.prevDone;
      t.done =
        prev === null
          ? (c) => release(t, c)
          : (c) => {
              release(t, c);
              prev(c);
            };
      ctx.onDone = t.done;
      if (probe || (queue.firstPriority() > t.priority && busy() < capFor(t.priority))) {
        admit(t, at);
        return null;
      }
      t.deadline = at + queue.deadlineOf(t.priority);
      const out = queue.push(t);
      if (out === t) {
        t.state = FINISHED;
        st.shed[PRIORITIES[t.priority]]++;
        return fallback(ctx, SHED);
      }
      if (out !== null) shed(out, false);
      if (sweep === null) {
        sweep = setInterval(onSweep, 50);
        sweep.unref();
      }
      return new Promise<Verdict | null>((resolve) => {
        t.resolve = resolve;
      });
    },
  };

  return {
    stage,
    inFlight: () => inFlight,
    stats: () => ({
      inFlight,
      limit: enabled ? limit.get() : 0,
      adaptive: limit.adaptive,
      originMs: { short: Math.round(limit.shortRtt), long: Math.round(limit.longRtt) },
      queued: { priority: queue.depth[0], verified: queue.depth[1], known: queue.depth[2], new: queue.depth[3] },
      shed: { ...st.shed },
      expired: { ...st.expired },
      admitted: st.admitted,
      abandoned: st.abandoned,
      staleInsteadOfShed: st.staleInsteadOfShed,
      circuitRefused: st.circuitRefused,
      circuitState: circuit === null ? -1 : circuit.state === 'closed' ? 0 : circuit.state === 'half_open' ? 1 : 2,
      circuitOpened: circuit === null ? 0 : circuit.opened,
      circuit: circuit === null ? null : circuit.snapshot(),
    }),
    /** After a reload: waiters still queued here are served or shed by the sweep, which then stops. */
    close() {
      if (sweep !== null && queue.length === 0) {
        clearInterval(sweep);
        sweep = null;
      }
    },
  };
}
