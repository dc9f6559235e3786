// SharedState of a cluster worker: a LocalView fed by the primary's hub over
// IPC. Reads are local and synchronous; writes apply locally at once and go
// to the primary, which shares them with the other workers (and nodes).
// Counts go to the primary once per call (the detector calls once a tick).
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { RampartError } from '../core/errors.js';
import { checkBan } from './ban-table.js';
import { applyWrite, fromWire, isStateMessage, type Port, type ToPrimary, type ToWorker, type WriteOp } from './ipc.js';
import { LocalView } from './local-view.js';
import { checkMitigation } from './mitigation-table.js';
import type { SharedState, StateHealth } from './types.js';
import type { SharedIncident } from './incident-slot.js';
import { NodeLocalState } from './view-backed-state.js';

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
  return new WorkerState(opts);
}

/** A call waiting for the primary's answer (an id or the shared incident). */
interface Waiting {
  resolve(n: never): void;
  reject(e: Error): void;
}

const TAG = 'state' as const;
const ID_HINT = 'the cluster primary could not hand out an id';
const INCIDENT_HINT = 'the cluster primary could not share the incident';

class WorkerState extends NodeLocalState implements SharedState {
  private readonly opts: WorkerStateOptions;
  private readonly now: () => number;
  private primaryHealth: StateHealth = {
    backend: 'memory',
    connected: false,
    lastSyncAt: 0,
    error: 'no word from the cluster primary yet',
  };
  private lastHeard = 0;
  private acked = 0;
  private seq = 0;
  private readonly waiting = new Map<number, Waiting>();
  private gotSnapshot: (() => void) | null = null;
  private unlisten: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: WorkerStateOptions) {
    const now = opts.now ?? Date.now;
    // keyRotation 0: keys come from the primary, workers never make their own.
    super(new LocalView({ now, keyRotation: 0, maxBans: opts.maxBans, maxMitigations: opts.maxMitigations }));
    this.opts = opts;
    this.now = now;
  }

  setMode(m: Mode): void {
    if (this.view.setMode(m)) this.write({ k: 'mode', field: 'detector', value: m });
  }

  overrideMode(m: Mode | null): void {
    if (this.view.overrideMode(m)) this.write({ k: 'mode', field: 'override', value: m ?? '' });
  }

  setEnforcement(e: Enforcement): void {
    if (this.view.setEnforcement(e)) this.write({ k: 'mode', field: 'enforcement', value: e });
  }

  addBan(b: Ban): void {
    checkBan(b);
    if (this.view.addBan(b)) this.write({ k: 'ban', ban: b });
  }

  removeBan(target: string): boolean {
    const had = this.view.removeBan(target);
    if (had) this.write({ k: 'unban', target });
    return had;
  }

  putMitigation(m: Mitigation): void {
    checkMitigation(m);
    if (this.view.putMitigation(m)) this.write({ k: 'mit', m });
  }

  removeMitigation(id: string): boolean {
    const had = this.view.removeMitigation(id);
    if (had) this.write({ k: 'unmit', id });
    return had;
  }

  addCounts(second: number, counts: Record<string, number>): void {
    if (this.view.counters.add(second, counts)) this.send({ rampart: TAG, op: 'counts', second, counts });
  }

  nextId(name: string): Promise<number> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (n: never) => void, reject });
      this.send({ rampart: TAG, op: 'nextId', id, name });
    });
  }

  joinIncident(at: number, ttl: number): Promise<SharedIncident> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (n: never) => void, reject });
      this.send({ rampart: TAG, op: 'incident', id, at, ttl });
    });
  }

  health(): StateHealth {
    const fresh = this.lastHeard > 0 && Date.now() - this.lastHeard < 5000;
    if (fresh) return this.primaryHealth;
    const error = this.primaryHealth.error || 'no word from the cluster primary for 5 s';
    return { ...this.primaryHealth, connected: false, error };
  }

  async start(): Promise<void> {
    if (this.unlisten) return;
    this.unlisten = this.opts.listen((raw) => this.onMessage(raw));
    const first = new Promise<void>((r) => {
      this.gotSnapshot = r;
    });
    this.send({ rampart: TAG, op: 'hello' });
    let t: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((r) => {
      t = setTimeout(r, this.opts.startTimeout ?? 5000);
    });
    await Promise.race([first, limit]);
    clearTimeout(t);
    this.gotSnapshot = null;
    this.timer = setInterval(() => this.view.sweep(this.now()), 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.unlisten?.();
    this.unlisten = null;
    if (this.timer) clearInterval(this.timer);
    for (const w of this.waiting.values())
      w.reject(new RampartError('E_STATE_CLOSED', 'worker state closed', 'internal'));
    this.waiting.clear();
  }

  private send(msg: ToPrimary): void {
    try {
      this.opts.port.send(msg);
    } catch {
      // the primary is gone; the process is about to be told to exit
    }
  }

  private write(w: WriteOp): void {
    this.send({ rampart: TAG, op: 'write', w });
  }

  private onMessage(raw: unknown): void {
    if (!isStateMessage(raw)) return;
    const msg = raw as ToWorker;
    this.lastHeard = Date.now();
    try {
      if (msg.op === 'snapshot') {
        this.view.load(fromWire(msg.s));
        this.primaryHealth = msg.health;
        this.gotSnapshot?.();
      } else if (msg.op === 'write') applyWrite(this.view, msg.w);
      else if (msg.op === 'keys')
        this.view.adoptKeys(
          msg.keys.map((k) => Buffer.from(k, 'base64')),
          msg.rotatedAt,
        );
      else if (msg.op === 'sums') this.takeSums(msg);
      else if (msg.op === 'id') this.answered(msg.id, msg.error, ID_HINT, Number(msg.value));
      else if (msg.op === 'incident') {
        const v = msg.value;
        if (msg.error !== undefined || !v) this.answered(msg.id, msg.error ?? 'no incident', INCIDENT_HINT, null);
        else this.answered(msg.id, undefined, INCIDENT_HINT, { id: String(v.id), startedAt: Number(v.startedAt) });
      }
    } catch {
      // a message that does not fit: the next snapshot sets things right
    }
  }

  private takeSums(msg: Extract<ToWorker, { op: 'sums' }>): void {
    this.acked = msg.acked;
    this.primaryHealth = msg.health;
    // Seconds this worker sent after `acked` are not in the sums yet: keep the local figure.
    for (const [s, c] of msg.sums) if (s <= this.acked) this.view.counters.set(s, c);
  }

  /** Settles the call waiting under `id`: rejected when the primary sent an error, else resolved with `value`. */
  private answered(id: number, error: string | undefined, hint: string, value: unknown): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (error !== undefined) w?.reject(new RampartError('E_STATE_ID', error, 'internal', hint));
    else w?.resolve(value as never);
  }
}
