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
  const ttl = o.ttlMs ?? 15_000;
  const subs: ((e: DetectorEvent) => void)[] = [];
  let local = '';
  let shared = '';
  let waiting = false;
  let queue: DetectorEvent[] = [];
  let lastTouch = 0;

  const out = (e: DetectorEvent) => {
    const ev =
      local !== '' && shared !== '' && e.incidentId === local && shared !== local
        ? ({ ...e, incidentId: shared } as DetectorEvent)
        : e;
    for (const fn of subs) fn(ev);
    if (e.type === 'attack_end' && e.incidentId === local) local = shared = '';
  };

  function resolve(forLocal: string, id: string): void {
    if (!waiting || local !== forLocal) return;
    shared = id;
    waiting = false;
    const q = queue;
    queue = [];
    for (const e of q) out(e);
  }

  function join(e: Extract<DetectorEvent, { type: 'attack_start' }>): void {
    const me = e.incidentId;
    local = me;
    shared = '';
    waiting = true;
    lastTouch = e.at;
    const fallback = (why: string) => {
      if (waiting && local === me) o.onFallback?.(me, why);
      resolve(me, me);
    };
    const timer = setTimeout(() => fallback(`no shared incident id within ${o.waitMs ?? 3000} ms`), o.waitMs ?? 3000);
    timer.unref();
    o.state!.joinIncident(e.at, ttl).then(
      (s) => {
        clearTimeout(timer);
        resolve(me, s.id);
      },
      (err: unknown) => {
        clearTimeout(timer);
        fallback(err instanceof Error ? err.message : String(err));
      },
    );
  }

  return {
    onEvent(e) {
      if (o.state === null) return void out(e);
      if (e.type === 'attack_start') {
        if (waiting) resolve(local, local); // a new attack while the last id is still pending: keep order
        join(e);
      }
      if (!waiting) return void out(e);
      queue.push(e);
      if (queue.length >= MAX_QUEUE) resolve(local, local);
    },
    subscribe(fn) {
      subs.push(fn);
    },
    tick(now) {
      if (o.state === null || local === '' || waiting || now - lastTouch < TOUCH_EVERY_MS) return;
      lastTouch = now;
      o.state.joinIncident(now, ttl).catch(() => {}); // a missed touch only shortens how long the slot stays joinable
    },
  };
}
