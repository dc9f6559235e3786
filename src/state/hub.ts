// The cluster primary's side of shared state: holds the one real state
// (memory or redis), applies workers' writes and counts to it, relays every
// change to all workers, and once a second sends them the global sums.
// Thin by design: no request ever reaches the primary. Memory: one entry per worker.
import type { LocalView, Delta } from './local-view.js';
import { applyWrite, isStateMessage, type Port, type ToPrimary, type ToWorker, toWire } from './ipc.js';
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
  return new ClusterStateHub(state, opts.now ?? Date.now, opts.interval ?? 1000);
}

const TAG = 'state' as const;

/** What the hub keeps per worker: the newest second it reported counts for. */
interface WorkerInfo {
  acked: number;
}

class ClusterStateHub implements StateHub {
  private readonly ports = new Map<Port, WorkerInfo>();
  private readonly offDelta: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly state: HubState,
    private readonly now: () => number,
    interval: number,
  ) {
    this.offDelta = state.view.onDelta((d) => this.relay(d));
    this.timer = setInterval(() => this.broadcastSums(), interval);
    this.timer.unref();
  }

  attach(port: Port): (msg: unknown) => void {
    const info: WorkerInfo = { acked: 0 };
    this.ports.set(port, info);
    return (msg: unknown) => {
      if (!isStateMessage(msg)) return;
      try {
        this.apply(msg as ToPrimary, port, info);
      } catch {
        // a bad write from a worker (validated there first) must not take the primary down
      }
    };
  }

  detach(port: Port): void {
    this.ports.delete(port);
  }

  broadcastSums(): void {
    const top = Math.floor(this.now() / 1000);
    const sums: [number, Record<string, number>][] = [];
    let newest = top;
    for (const info of this.ports.values()) if (info.acked > newest) newest = info.acked;
    for (let s = newest - SUM_SECONDS + 1; s <= newest; s++) {
      const c = this.state.globalCounts(s);
      if (c) sums.push([s, c]);
    }
    const health = this.state.health();
    for (const [p, info] of this.ports) this.send(p, { rampart: TAG, op: 'sums', sums, acked: info.acked, health });
  }

  reports(): number[] {
    return [...this.ports.values()].map((i) => i.acked);
  }

  stop(): void {
    clearInterval(this.timer);
    this.offDelta();
  }

  private send(port: Port, msg: ToWorker): void {
    try {
      port.send(msg);
    } catch {
      // the worker is going away; its exit handler detaches it
    }
  }

  private broadcast(msg: ToWorker): void {
    for (const p of this.ports.keys()) this.send(p, msg);
  }

  private snapshot(): ToWorker {
    return { rampart: TAG, op: 'snapshot', s: toWire(this.state.view.snapshot()), health: this.state.health() };
  }

  /** Relays a change of the primary's view to every worker. */
  private relay(d: Delta): void {
    const state = this.state;
    if (d.k === 'ban' || d.k === 'unban' || d.k === 'mit' || d.k === 'unmit' || d.k === 'mode')
      this.broadcast({ rampart: TAG, op: 'write', w: d });
    else if (d.k === 'keys') {
      const keys = state.keys().map((k) => k.toString('base64'));
      this.broadcast({ rampart: TAG, op: 'keys', keys, rotatedAt: state.view.keyRing.rotatedAt });
    } else if (d.k === 'load') this.broadcast(this.snapshot());
    // sweeps: every worker drops expired entries by itself
  }

  /** One message of a worker: its hello, counts, a write, or a call for an id or the shared incident. */
  private apply(msg: ToPrimary, port: Port, info: WorkerInfo): void {
    if (msg.op === 'hello') this.send(port, this.snapshot());
    else if (msg.op === 'counts') {
      this.state.addCounts(msg.second, msg.counts);
      if (msg.second > info.acked) info.acked = msg.second;
    } else if (msg.op === 'nextId') this.answer(port, 'id', msg.id, this.state.nextId(String(msg.name)));
    else if (msg.op === 'incident')
      this.answer(port, 'incident', msg.id, this.state.joinIncident(Number(msg.at), Number(msg.ttl)));
    else applyWrite(this.state, msg.w);
  }

  /** Sends the worker the outcome of its call: the value, or the error in words. */
  private answer(port: Port, op: 'id' | 'incident', id: number, call: Promise<unknown>): void {
    call.then(
      (value) => this.send(port, { rampart: TAG, op, id, value } as ToWorker),
      (e: unknown) => this.send(port, { rampart: TAG, op, id, error: e instanceof Error ? e.message : String(e) }),
    );
  }
}
