// The admission stage: keeps the origin within its capacity. The circuit
// breaker decides first (open: stale copy or `origin/circuit-open`); then a
// concurrency limit (fixed or adaptive) admits at once or queues by priority
// — priority route classes, verified clients, known clients (first seen before
// the surge, or known_after ago), new clients —
// with deadlines; the lowest priority is shed first (503 + Retry-After, or a
// stale copy when the cache has one: `origin/shed`, `cache/stale`). Each
// admitted request is released exactly once, from ctx.onDone. Not the cache.
// Per request: one ticket object; queue operations O(1); one sweep timer.
// This file is the public face (types, config → parts); the state machine is
// admission-control.ts, a request's ticket admission-ticket.ts.
import type { CircuitConfig, AdmissionConfig } from '../config/schema/origin-protection.js';
import type { Stage } from '../core/model.js';
import { fixedLimit, GradientLimit, type Limit } from './admission-limit.js';
import { AdmissionControl } from './admission-control.js';
import type { PriorityCounts } from './admission-ticket.js';
import { Circuit, type CircuitSnapshot } from './circuit.js';

export { PRIORITIES } from './admission-ticket.js';

export interface AdmissionStats {
  inFlight: number;
  limit: number;
  adaptive: boolean;
  /** Latency (ms, admission to first byte) the adaptive limit last saw: short and long run. */
  originMs: { short: number; long: number };
  queued: PriorityCounts;
  shed: PriorityCounts;
  /** Of the shed: how many waited until their deadline. */
  expired: PriorityCounts;
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
  /** The surge's mitigations spare person-like clients (a young detector): those are known too (ctx.personLike, ctx.markPending). */
  sparesPersons?: () => boolean;
}

export function compileAdmission(a: AdmissionConfig, c: CircuitConfig, deps: AdmissionDeps): Admission {
  return new AdmissionControl(a, deps, limitFor(a, Math.max(1, deps.shares ?? 1)), circuitFor(c), c.openFor);
}

/** The concurrency limit of this process: fixed, adaptive (`auto`), or none when admission is off. */
function limitFor(a: AdmissionConfig, shares: number): Limit {
  const share = (n: number) => Math.max(1, Math.floor(n / shares));
  if (!a.enabled) return fixedLimit(Number.MAX_SAFE_INTEGER);
  if (a.concurrency !== 'auto') return fixedLimit(share(a.concurrency));
  return new GradientLimit({
    initial: share(Math.min(a.maxConcurrency, Math.max(a.minConcurrency, 20))),
    min: share(a.minConcurrency),
    max: share(a.maxConcurrency),
    tolerance: a.latencyTolerance,
  });
}

function circuitFor(c: CircuitConfig): Circuit | null {
  if (!c.enabled) return null;
  return new Circuit({
    failures: c.failures,
    failureRatio: c.failureRatio,
    minRequests: c.minRequests,
    windowMs: c.window,
    openFor: c.openFor,
    maxOpenFor: c.maxOpenFor,
    probes: c.probes,
  });
}
