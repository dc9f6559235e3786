// Shared incident ids: the detector of each worker or node names its incident
// locally; this relay asks the shared state for the incident every node is in
// (state.joinIncident) when an attack starts, holds that incident's events
// until the answer comes (a Redis round trip or an IPC hop), then passes them
// on under the shared id to the recorder and alerts. While the attack lasts it
// touches the shared slot every few seconds. Once a second at most; memory:
// one id mapping and at most MAX_QUEUE held events.
import type { DetectorEvent } from '../detector/events.js';

export interface IncidentJoiner {
  joinIncident(at: number, ttlMs: number): Promise<{ id: string; startedAt: number }>;
}

export interface IncidentIdsOptions {
  /** null: the detector's own ids are used as they are. */
  state: IncidentJoiner | null;
  /** How long after the last node's touch a new attack still joins the same incident. */
  ttlMs?: number;
  /** Longest wait for the shared id before the local one is used (Redis slow or down). */
  waitMs?: number;
  onFallback?(localId: string, why: string): void;
}

export interface IncidentIds {
  onEvent(e: DetectorEvent): void;
  /** Subscribers get every event, in order, with the shared id. */
  subscribe(fn: (e: DetectorEvent) => void): void;
  /** Keeps the shared slot fresh while this node's incident runs (the app's tick). */
  tick(now: number): void;
}

const MAX_QUEUE = 1000;
const TOUCH_EVERY_MS = 2000;

export function createIncidentIds(o: IncidentIdsOptions): IncidentIds {
  return new SharedIncidentIds(o);
}

class SharedIncidentIds implements IncidentIds {
  private readonly ttl: number;
  private readonly subs: ((e: DetectorEvent) => void)[] = [];
  private local = '';
  private shared = '';
  private waiting = false;
  private queue: DetectorEvent[] = [];
  private lastTouch = 0;

  constructor(private readonly o: IncidentIdsOptions) {
    this.ttl = o.ttlMs ?? 15_000;
  }

  /** An arrow: the detector is handed it detached (detector.onEvent(ids.onEvent)). */
  onEvent = (e: DetectorEvent): void => {
    if (this.o.state === null) {
      this.out(e);
      return;
    }
    if (e.type === 'attack_start') {
      if (this.waiting) this.resolve(this.local, this.local); // a new attack while the last id is still pending: keep order
      this.join(this.o.state, e);
    }
    if (!this.waiting) {
      this.out(e);
      return;
    }
    this.queue.push(e);
    if (this.queue.length >= MAX_QUEUE) this.resolve(this.local, this.local);
  };

  subscribe(fn: (e: DetectorEvent) => void): void {
    this.subs.push(fn);
  }

  tick(now: number): void {
    const state = this.o.state;
    if (state === null || this.local === '' || this.waiting || now - this.lastTouch < TOUCH_EVERY_MS) return;
    this.lastTouch = now;
    state.joinIncident(now, this.ttl).catch(() => {}); // a missed touch only shortens how long the slot stays joinable
  }

  private out(e: DetectorEvent): void {
    const { local, shared } = this;
    const ev =
      local !== '' && shared !== '' && e.incidentId === local && shared !== local
        ? ({ ...e, incidentId: shared } as DetectorEvent)
        : e;
    for (const fn of this.subs) fn(ev);
    if (e.type === 'attack_end' && e.incidentId === local) {
      this.local = '';
      this.shared = '';
    }
  }

  private resolve(forLocal: string, id: string): void {
    if (!this.waiting || this.local !== forLocal) return;
    this.shared = id;
    this.waiting = false;
    const q = this.queue;
    this.queue = [];
    for (const e of q) this.out(e);
  }

  private join(state: IncidentJoiner, e: Extract<DetectorEvent, { type: 'attack_start' }>): void {
    const me = e.incidentId;
    this.local = me;
    this.shared = '';
    this.waiting = true;
    this.lastTouch = e.at;
    const waitMs = this.o.waitMs ?? 3000;
    const fallback = (why: string) => {
      if (this.waiting && this.local === me) this.o.onFallback?.(me, why);
      this.resolve(me, me);
    };
    const timer = setTimeout(() => fallback(`no shared incident id within ${waitMs} ms`), waitMs);
    timer.unref();
    state.joinIncident(e.at, this.ttl).then(
      (s) => {
        clearTimeout(timer);
        this.resolve(me, s.id);
      },
      (err: unknown) => {
        clearTimeout(timer);
        fallback(err instanceof Error ? err.message : String(err));
      },
    );
  }
}
