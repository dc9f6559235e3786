// The cluster primary's side of shared state: holds the one real state
// (memory or redis), applies workers' writes and counts to it, relays every
// change to all workers, and once a second sends them the global sums.
// Thin by design: no request ever reaches the primary. Memory: one entry per worker.
import type { LocalView, Delta } from './local-view.js';
import { isStateMessage, toWire, type Port, type ToPrimary, type ToWorker } from './ipc.js';
import type { SharedState } from './types.js';

export interface HubState extends SharedState {
  readonly view: LocalView;
}

export interface StateHub {
  /** Registers a worker's port; returns the function its messages go to. */
  attach(port: Port): (msg: unknown) => void;
  detach(port: Port): void;
  /** Sends sums and health to every worker (called once a second by the hub's own timer). */
  broadcastSums(): void;
  /** Per attached worker: the newest second it reported counts for (0: none yet). */
  reports(): number[];
  stop(): void;
}

/** Seconds of global sums sent each time (late workers keep adding to recent seconds). */
const SUM_SECONDS = 5;

export function createStateHub(state: HubState, opts: { now?: () => number; interval?: number } = {}): StateHub {
  const now = opts.now ?? Date.now;
  const ports = new Map<Port, { acked: number }>();
  const tag = 'state' as const;

  const send = (port: Port, msg: ToWorker) => {
    try {
      port.send(msg);
    } catch {
      // the worker is going away; its exit handler detaches it
    }
  };
  const broadcast = (msg: ToWorker) => {
    for (const p of ports.keys()) send(p, msg);
  };

  const offDelta = state.view.onDelta((d: Delta) => {
    if (d.k === 'ban' || d.k === 'unban' || d.k === 'mit' || d.k === 'unmit' || d.k === 'mode')
      broadcast({ rampart: tag, op: 'write', w: d });
    else if (d.k === 'keys')
      broadcast({
        rampart: tag,
        op: 'keys',
        keys: state.keys().map((k) => k.toString('base64')),
        rotatedAt: state.view.keyRing.rotatedAt,
      });
    else if (d.k === 'load')
      broadcast({ rampart: tag, op: 'snapshot', s: toWire(state.view.snapshot()), health: state.health() });
    // sweeps: every worker drops expired entries by itself
  });

  function apply(msg: ToPrimary, port: Port, info: { acked: number }): void {
    if (msg.op === 'hello')
      return send(port, { rampart: tag, op: 'snapshot', s: toWire(state.view.snapshot()), health: state.health() });
    if (msg.op === 'counts') {
      state.addCounts(msg.second, msg.counts);
      if (msg.second > info.acked) info.acked = msg.second;
      return;
    }
    if (msg.op === 'nextId') {
      state.nextId(String(msg.name)).then(
        (value) => send(port, { rampart: tag, op: 'id', id: msg.id, value }),
        (e: unknown) =>
          send(port, { rampart: tag, op: 'id', id: msg.id, error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    if (msg.op === 'incident') {
      state.joinIncident(Number(msg.at), Number(msg.ttl)).then(
        (value) => send(port, { rampart: tag, op: 'incident', id: msg.id, value }),
        (e: unknown) =>
          send(port, { rampart: tag, op: 'incident', id: msg.id, error: e instanceof Error ? e.message : String(e) }),
      );
      return;
    }
    const w = msg.w;
    if (w.k === 'ban') state.addBan(w.ban);
    else if (w.k === 'unban') state.removeBan(w.target);
    else if (w.k === 'mit') state.putMitigation(w.m);
    else if (w.k === 'unmit') state.removeMitigation(w.id);
    else if (w.field === 'detector') state.setMode(w.value as never);
    else if (w.field === 'override') state.overrideMode(w.value ? (w.value as never) : null);
    else if (w.field === 'enforcement') state.setEnforcement(w.value as never);
  }

  function broadcastSums(): void {
    const top = Math.floor(now() / 1000);
    const sums: [number, Record<string, number>][] = [];
    let newest = top;
    for (const info of ports.values()) if (info.acked > newest) newest = info.acked;
    for (let s = newest - SUM_SECONDS + 1; s <= newest; s++) {
      const c = state.globalCounts(s);
      if (c) sums.push([s, c]);
    }
    const health = state.health();
    for (const [p, info] of ports) send(p, { rampart: tag, op: 'sums', sums, acked: info.acked, health });
  }

  const timer = setInterval(broadcastSums, opts.interval ?? 1000);
  timer.unref();

  return {
    attach(port) {
      const info = { acked: 0 };
      ports.set(port, info);
      return (msg: unknown) => {
        if (!isStateMessage(msg)) return;
        try {
          apply(msg as ToPrimary, port, info);
        } catch {
          // a bad write from a worker (validated there first) must not take the primary down
        }
      };
    },
    detach(port) {
      ports.delete(port);
    },
    broadcastSums,
    reports: () => [...ports.values()].map((i) => i.acked),
    stop() {
      clearInterval(timer);
      offDelta();
    },
  };
}
