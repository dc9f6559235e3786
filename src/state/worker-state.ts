// SharedState of a cluster worker: a LocalView fed by the primary's hub over
// IPC. Reads are local and synchronous; writes apply locally at once and go
// to the primary, which shares them with the other workers (and nodes).
// Counts go to the primary once per call (the detector calls once a tick).
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { RampartError } from '../core/errors.js';
import { checkBan } from './ban-table.js';
import { fromWire, isStateMessage, type Port, type ToPrimary, type ToWorker, type WriteOp } from './ipc.js';
import { LocalView, localReads } from './local-view.js';
import { checkMitigation } from './mitigation-table.js';
import type { SharedState, StateHealth } from './types.js';
import type { SharedIncident } from './incident-slot.js';

export interface WorkerStateOptions {
  /** The channel to the primary (`process` in a cluster worker). */
  port: Port;
  /** Subscribes to messages from the primary; returns the unsubscribe function. */
  listen(fn: (msg: unknown) => void): () => void;
  now?: () => number;
  maxBans?: number;
  maxMitigations?: number;
  /** How long start() waits for the first snapshot. Default 5000 ms. */
  startTimeout?: number;
}

export function createWorkerState(opts: WorkerStateOptions): SharedState & { readonly view: LocalView } {
  const now = opts.now ?? Date.now;
  // keyRotation 0: keys come from the primary, workers never make their own.
  const view = new LocalView({ now, keyRotation: 0, maxBans: opts.maxBans, maxMitigations: opts.maxMitigations });
  const tag = 'state' as const;
  let primaryHealth: StateHealth = {
    backend: 'memory',
    connected: false,
    lastSyncAt: 0,
    error: 'no word from the cluster primary yet',
  };
  let lastHeard = 0;
  let acked = 0;
  let seq = 0;
  const waiting = new Map<number, { resolve(n: never): void; reject(e: Error): void }>();
  let gotSnapshot: (() => void) | null = null;
  let unlisten: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;

  const send = (msg: ToPrimary) => {
    try {
      opts.port.send(msg);
    } catch {
      // the primary is gone; the process is about to be told to exit
    }
  };
  const write = (w: WriteOp) => send({ rampart: tag, op: 'write', w });

  function applyWrite(w: WriteOp): void {
    if (w.k === 'ban') view.addBan(w.ban);
    else if (w.k === 'unban') view.removeBan(w.target);
    else if (w.k === 'mit') view.putMitigation(w.m);
    else if (w.k === 'unmit') view.removeMitigation(w.id);
    else if (w.field === 'detector') view.setMode(w.value as Mode);
    else if (w.field === 'override') view.overrideMode(w.value ? (w.value as Mode) : null);
    else view.setEnforcement(w.value as Enforcement);
  }

  function onMessage(raw: unknown): void {
    if (!isStateMessage(raw)) return;
    const msg = raw as ToWorker;
    lastHeard = Date.now();
    try {
      if (msg.op === 'snapshot') {
        view.load(fromWire(msg.s));
        primaryHealth = msg.health;
        gotSnapshot?.();
      } else if (msg.op === 'write') applyWrite(msg.w);
      else if (msg.op === 'keys')
        view.adoptKeys(
          msg.keys.map((k) => Buffer.from(k, 'base64')),
          msg.rotatedAt,
        );
      else if (msg.op === 'sums') {
        acked = msg.acked;
        primaryHealth = msg.health;
        // Seconds this worker sent after `acked` are not in the sums yet: keep the local figure.
        for (const [s, c] of msg.sums) if (s <= acked) view.counters.set(s, c);
      } else if (msg.op === 'id') {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (msg.error !== undefined)
          w?.reject(
            new RampartError('E_STATE_ID', msg.error, 'internal', 'the cluster primary could not hand out an id'),
          );
        else w?.resolve(Number(msg.value) as never);
      } else if (msg.op === 'incident') {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (msg.error !== undefined || !msg.value)
          w?.reject(
            new RampartError(
              'E_STATE_ID',
              msg.error ?? 'no incident',
              'internal',
              'the cluster primary could not share the incident',
            ),
          );
        else w?.resolve({ id: String(msg.value.id), startedAt: Number(msg.value.startedAt) } as never);
      }
    } catch {
      // a message that does not fit: the next snapshot sets things right
    }
  }

  return {
    ...localReads(view),
    setMode: (m) => void (view.setMode(m) && write({ k: 'mode', field: 'detector', value: m })),
    overrideMode: (m) => void (view.overrideMode(m) && write({ k: 'mode', field: 'override', value: m ?? '' })),
    setEnforcement: (e) => void (view.setEnforcement(e) && write({ k: 'mode', field: 'enforcement', value: e })),
    addBan(b: Ban) {
      checkBan(b);
      if (view.addBan(b)) write({ k: 'ban', ban: b });
    },
    removeBan(target: string) {
      const had = view.removeBan(target);
      if (had) write({ k: 'unban', target });
      return had;
    },
    putMitigation(m: Mitigation) {
      checkMitigation(m);
      if (view.putMitigation(m)) write({ k: 'mit', m });
    },
    removeMitigation(id: string) {
      const had = view.removeMitigation(id);
      if (had) write({ k: 'unmit', id });
      return had;
    },
    addCounts(second, counts) {
      if (view.counters.add(second, counts)) send({ rampart: tag, op: 'counts', second, counts });
    },
    nextId(name: string): Promise<number> {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (n: never) => void, reject });
        send({ rampart: tag, op: 'nextId', id, name });
      });
    },
    joinIncident(at: number, ttl: number): Promise<SharedIncident> {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (n: never) => void, reject });
        send({ rampart: tag, op: 'incident', id, at, ttl });
      });
    },
    // Node-to-node messages are the primary's business (it runs the node's detector).
    sendToNodes: () => {},
    onNodeMessage: () => () => {},
    // Nothing shared to seed from: one process (its learned state is in data_dir), or a worker (its primary keeps it).
    putLearned: () => {},
    getLearned: async () => null,
    onChange: (fn) => view.onChange(fn),
    health(): StateHealth {
      const fresh = lastHeard > 0 && Date.now() - lastHeard < 5000;
      return fresh
        ? primaryHealth
        : {
            ...primaryHealth,
            connected: false,
            error: primaryHealth.error || 'no word from the cluster primary for 5 s',
          };
    },
    async start(): Promise<void> {
      if (unlisten) return;
      unlisten = opts.listen(onMessage);
      const first = new Promise<void>((r) => (gotSnapshot = r));
      send({ rampart: tag, op: 'hello' });
      let t: NodeJS.Timeout | undefined;
      await Promise.race([first, new Promise<void>((r) => (t = setTimeout(r, opts.startTimeout ?? 5000)))]);
      clearTimeout(t);
      gotSnapshot = null;
      timer = setInterval(() => view.sweep(now()), 1000);
      timer.unref();
    },
    async close(): Promise<void> {
      unlisten?.();
      unlisten = null;
      if (timer) clearInterval(timer);
      for (const w of waiting.values()) w.reject(new RampartError('E_STATE_CLOSED', 'worker state closed', 'internal'));
      waiting.clear();
    },
  };
}
