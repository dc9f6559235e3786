// The admission control behind compileAdmission (admission.ts says what it
// does): circuit check, priority, admit at once or queue, shed, and release
// from ctx.onDone. Not the limit, the queue or the breaker themselves.
// Per request: one ticket and its done callback (plus a promise when queued);
// queue operations O(1); one sweep timer, only while something waits.
import {
  CLIENT_FRESH,
  verdict,
  type RequestContext,
  type Stage,
  type StageResult,
  type Verdict,
} from '../core/model.js';
import type { AdmissionConfig } from '../config/schema/origin-protection.js';
import type { Limit } from './admission-limit.js';
import { PriorityQueue } from './admission-queue.js';
import { ADMITTED, FINISHED, outcomeOf, PRIORITIES, type PriorityCounts, QUEUED, Ticket } from './admission-ticket.js';
import type { Circuit } from './circuit.js';
import type { Admission, AdmissionDeps, AdmissionStats } from './admission.js';

const STALE = verdict('cache/stale', 'serve', 200);
const count = (): PriorityCounts => ({ priority: 0, verified: 0, known: 0, new: 0 });

/** 0 closed, 1 half-open, 2 open; -1 without a breaker. */
function circuitStateCode(circuit: Circuit | null): number {
  if (circuit === null) return -1;
  if (circuit.state === 'closed') return 0;
  return circuit.state === 'half_open' ? 1 : 2;
}

/**
 * The stage and its state; fields are fixed in the constructor. The stage is
 * the object itself (`name` + `run`), so the pipeline calls a prototype method.
 */
export class AdmissionControl implements Admission, Stage {
  readonly name = 'admission';
  readonly stage: Stage;
  private readonly now: () => number;
  private readonly enabled: boolean;
  private readonly limit: Limit;
  private readonly queue: PriorityQueue<Ticket>;
  private readonly knownAfter: number;
  private readonly surgeSince: () => number;
  private readonly sparesPersons: () => boolean;
  private readonly priorityClasses: ReadonlySet<string>;
  private readonly circuit: Circuit | null;
  private readonly shedVerdict: Verdict;
  private readonly openVerdict: Verdict;
  /**
   * Share of the limit that known and new clients may not take: a donation or
   * a verified person finds a free slot at once instead of queueing behind a
   * flood (partitioned limits, Netflix concurrency-limits).
   */
  private readonly reserve: number;
  private readonly onSweep: () => void;
  private readonly shedCounts = count();
  private readonly expiredCounts = count();
  private admitted = 0;
  private abandoned = 0;
  private staleInsteadOfShed = 0;
  private circuitRefused = 0;
  /** Requests admitted here and not yet finished. */
  private atOrigin = 0;
  private sweep: NodeJS.Timeout | null = null;
  /**
   * After a reload the old graph's requests still at the origin take slots
   * too (their release runs there; the sweep notices the freed slots).
   */
  private previous: Admission | null;

  constructor(a: AdmissionConfig, deps: AdmissionDeps, limit: Limit, circuit: Circuit | null, openFor: number) {
    this.stage = this;
    this.now = deps.now;
    this.enabled = a.enabled;
    this.limit = limit;
    this.queue = new PriorityQueue<Ticket>(
      PRIORITIES.map((p) => a.queue[p]),
      a.enabled ? a.queueSize : 0,
    );
    this.knownAfter = a.knownAfter;
    this.surgeSince = deps.surgeSince ?? (() => 0);
    this.sparesPersons = deps.sparesPersons ?? (() => false);
    this.priorityClasses = new Set(a.priorityClasses);
    this.circuit = circuit;
    this.shedVerdict = verdict('origin/shed', 'limit', 503, Math.ceil(a.retryAfter / 1000));
    this.openVerdict = verdict('origin/circuit-open', 'error', 503, Math.ceil(openFor / 1000));
    this.reserve = a.reservedShare;
    this.onSweep = () => this.sweepQueue();
    this.previous = deps.previous ?? null;
  }

  run(ctx: RequestContext): StageResult {
    if (ctx.upgradeHead !== null) return null; // tunnels are long-lived: not counted against request concurrency
    const at = this.now();
    let probe = false;
    if (this.circuit !== null) {
      const d = this.circuit.allow(at);
      if (d === 'open') {
        this.circuitRefused++;
        return this.fallback(ctx, this.openVerdict);
      }
      probe = d === 'probe';
    }
    const t = new Ticket(ctx, this.priorityOf(ctx, at), probe);
    const prev = t.prevDone;
    t.done =
      prev === null
        ? (c) => this.release(t, c)
        : (c) => {
            this.release(t, c);
            prev(c);
          };
    ctx.onDone = t.done;
    if (probe || (this.queue.firstPriority() > t.priority && this.busy() < this.capFor(t.priority))) {
      this.admit(t, at);
      return null;
    }
    return this.enqueue(t, at);
  }

  inFlight(): number {
    return this.atOrigin;
  }

  stats(): AdmissionStats {
    const { limit, queue, circuit } = this;
    return {
      inFlight: this.atOrigin,
      limit: this.enabled ? limit.get() : 0,
      adaptive: limit.adaptive,
      originMs: { short: Math.round(limit.shortRtt), long: Math.round(limit.longRtt) },
      queued: { priority: queue.depth[0], verified: queue.depth[1], known: queue.depth[2], new: queue.depth[3] },
      shed: { ...this.shedCounts },
      expired: { ...this.expiredCounts },
      admitted: this.admitted,
      abandoned: this.abandoned,
      staleInsteadOfShed: this.staleInsteadOfShed,
      circuitRefused: this.circuitRefused,
      circuitState: circuitStateCode(circuit),
      circuitOpened: circuit === null ? 0 : circuit.opened,
      circuit: circuit === null ? null : circuit.snapshot(),
    };
  }

  /** After a reload: waiters still queued here are served or shed by the sweep, which then stops. */
  close(): void {
    if (this.sweep !== null && this.queue.length === 0) this.stopSweep();
  }

  /** Queues the ticket (a full queue sheds the lowest priority, maybe this one) and starts the sweep. */
  private enqueue(t: Ticket, at: number): StageResult {
    t.deadline = at + this.queue.deadlineOf(t.priority);
    const out = this.queue.push(t);
    if (out === t) {
      t.state = FINISHED;
      this.shedCounts[PRIORITIES[t.priority]]++;
      return this.fallback(t.ctx, this.shedVerdict);
    }
    if (out !== null) this.shed(out, false);
    if (this.sweep === null) {
      this.sweep = setInterval(this.onSweep, 50);
      this.sweep.unref();
    }
    t.ctx.queued = true;
    return new Promise<Verdict | null>((resolve) => {
      t.resolve = resolve;
    });
  }

  private capFor(priority: number): number {
    const limit = this.limit.get();
    return priority < 2 ? limit : Math.max(1, Math.floor(limit * (1 - this.reserve)));
  }

  private busy(): number {
    if (this.previous === null) return this.atOrigin;
    const n = this.previous.inFlight();
    if (n === 0) this.previous = null;
    return this.atOrigin + n;
  }

  private fallback(ctx: RequestContext, v: Verdict): Verdict {
    const sink = ctx.cacheSink;
    if (sink?.serveStale(ctx)) {
      this.staleInsteadOfShed++;
      return STALE;
    }
    return v;
  }

  private shed(t: Ticket, expired: boolean): void {
    t.state = FINISHED;
    const name = PRIORITIES[t.priority];
    this.shedCounts[name]++;
    if (expired) this.expiredCounts[name]++;
    if (t.resolve !== null) t.settle(this.fallback(t.ctx, this.shedVerdict));
  }

  private admit(t: Ticket, at: number): void {
    t.state = ADMITTED;
    t.admittedAt = at;
    t.inFlightAtAdmit = ++this.atOrigin;
    this.admitted++;
    t.settle(null);
  }

  private drain(at: number): void {
    const queue = this.queue;
    if (this.circuit !== null && this.circuit.state === 'open') {
      for (let w = queue.shift(); w !== null; w = queue.shift()) {
        this.circuitRefused++;
        w.state = FINISHED;
        if (w.resolve !== null) w.settle(this.fallback(w.ctx, this.openVerdict));
      }
      return;
    }
    while (queue.length > 0 && this.busy() < this.capFor(queue.firstPriority())) {
      const w = queue.shift()!;
      if (w.deadline <= at) this.shed(w, true);
      else this.admit(w, at);
    }
  }

  private sweepQueue(): void {
    const at = this.now();
    for (let w = this.queue.expired(at); w !== null; w = this.queue.expired(at)) this.shed(w, true);
    this.drain(at);
    if (this.queue.length === 0 && this.sweep !== null) this.stopSweep();
  }

  private stopSweep(): void {
    if (this.sweep !== null) clearInterval(this.sweep);
    this.sweep = null;
  }

  private release(t: Ticket, ctx: RequestContext): void {
    const at = this.now();
    if (t.state === QUEUED) {
      this.queue.remove(t);
      this.abandoned++;
    } else if (t.state === ADMITTED) {
      this.atOrigin--;
      const outcome = outcomeOf(ctx);
      if (outcome !== 'none') {
        const rtt = ctx.originMs >= 0 ? ctx.originMs - (t.admittedAt - ctx.startedAt) : at - t.admittedAt;
        this.limit.sample(rtt, outcome === 'fail', t.inFlightAtAdmit, at);
      }
      if (this.circuit !== null) this.circuit.record(at, outcome, t.probe);
    }
    t.state = FINISHED;
    this.drain(at);
  }

  private priorityOf(ctx: RequestContext, at: number): number {
    if (this.priorityClasses.has(ctx.routeClass)) return 0;
    if (ctx.verified) return 1;
    // Known: seen before this request (its seen cookie, or the client book) and before the surge
    // began, or known_after ago when no surge time is set. A client's first request is never known.
    const seen = ctx.seenAt;
    if (seen > 0 && ctx.clientState !== CLIENT_FRESH) {
      const surge = this.surgeSince();
      if (surge > 0 ? seen < surge : at - seen >= this.knownAfter) return 2;
      // A young detector's surge: everyone is new; the ones whose seen cookie says they load pages' assets are its "known"
      // (not an asset request earning the mark: any crowd can send those).
      if (surge > 0 && ctx.personLike && this.sparesPersons()) return 2;
    }
    return 3;
  }
}
