// The redis backend's link to the store, apart from its SharedState surface
// (redis.ts): the two connections (commands, subscription), the background
// push of local writes through the outbox, other nodes' change messages, and
// the sync pass (every syncInterval) that flushes counters, reconciles the view
// with the store, sweeps expired entries and rotates the signing keys.
// Never on the request path: runs on connection events, timers and writes' sends.
import { randomBytes } from 'node:crypto';
import type { Enforcement, Mode } from '../core/model.js';
import { INCIDENT_LUA } from './incident-slot.js';
import type { LocalView } from './local-view.js';
import { Outbox, type OutboxOp } from './outbox.js';
import { PendingCounts } from './pending-counts.js';
import type { StateLog } from './redis.js';
import { type ChangeMessage, decodeKeys, decodeMessage, decodeSnapshot } from './redis-codec.js';
import { openRedis, type RedisClient, type RedisConnectOptions, whenReady } from './redis-connect.js';
import { type Commands, pushOp, queueReseed, syncCounts } from './redis-ops.js';
import { APPLY_LUA, KEYS_LUA, type RedisKeys, SWEEP_LUA } from './redis-scripts.js';

export interface RedisSyncOptions {
  now: () => number;
  /** This node's id (a UUID): tags its change messages and node payloads. */
  node: string;
  keys: RedisKeys;
  view: LocalView;
  /** Seconds of counts kept pending while the store is away. */
  countSeconds: number;
  /** ms between full reconciles and expiry sweeps, even without a version change. */
  reconcileInterval: number;
  log?: StateLog;
}

/** What start() needs besides the store's address. */
export interface RedisStartOptions {
  /** How long start() waits for the first sync before going on with the local view. */
  startTimeout: number;
  syncInterval: number;
  /** Gets every binary message of the subscription (the node-to-node channel). */
  onNodeBuffer(channel: Buffer, msg: Buffer): void;
}

export class RedisSync {
  readonly outbox = new Outbox();
  readonly pending: PendingCounts;
  cmd: Commands | null = null;
  lastSyncAt = 0;
  lastError = '';
  passOk = false;
  /** The newest second counts were added for (the counter fetch reaches at least that far). */
  latestSecond = 0;
  reconciles = 0;
  private readonly now: () => number;
  private readonly node: string;
  private readonly K: RedisKeys;
  private readonly view: LocalView;
  private readonly reconcileInterval: number;
  private readonly log: StateLog | undefined;
  private sub: RedisClient | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastVersion = -1;
  private needReconcile = true;
  private lastReconcileAt = 0;
  private running: Promise<void> | null = null;

  constructor(o: RedisSyncOptions) {
    this.now = o.now;
    this.node = o.node;
    this.K = o.keys;
    this.view = o.view;
    this.pending = new PendingCounts(o.countSeconds);
    this.reconcileInterval = o.reconcileInterval;
    this.log = o.log;
  }

  ready(): boolean {
    return this.cmd !== null && this.cmd.status === 'ready';
  }

  /** Records a failed exchange; warns once per outage (or when the error changes). */
  readonly fail = (e: unknown): void => {
    const msg = e instanceof Error ? e.message : String(e);
    if (this.passOk || msg !== this.lastError)
      this.log?.warn({ err: msg }, 'shared state: redis unreachable or slow; defending on the local view');
    this.lastError = msg;
    this.passOk = false;
  };

  /** A local write: kept in the outbox until the store confirms it, sent now when connected. */
  send(op: OutboxOp): void {
    this.outbox.push(op);
    if (!this.ready()) return;
    this.push(op).catch(this.fail);
  }

  async start(conn: RedisConnectOptions, o: RedisStartOptions): Promise<void> {
    if (this.cmd) return;
    const cmd = openRedis(conn, false) as Commands;
    const sub = openRedis(conn, true);
    this.cmd = cmd;
    this.sub = sub;
    cmd.defineCommand('rampartApply', { numberOfKeys: 4, lua: APPLY_LUA });
    cmd.defineCommand('rampartKeys', { numberOfKeys: 2, lua: KEYS_LUA });
    cmd.defineCommand('rampartSweep', { numberOfKeys: 3, lua: SWEEP_LUA });
    cmd.defineCommand('rampartIncident', { numberOfKeys: 2, lua: INCIDENT_LUA });
    cmd.on('error', this.fail);
    sub.on('error', () => {}); // the command connection reports; ioredis reconnects both
    cmd.on('ready', () => void this.runPass());
    sub.on('ready', () => {
      this.needReconcile = true; // messages may have been missed while away
      void this.runPass();
    });
    sub.on('message', (channel: string, raw: string) => this.onMessage(channel, raw));
    sub.on('messageBuffer', o.onNodeBuffer);
    void sub.subscribe(this.K.channel, this.K.nodes).catch(this.fail);
    if (await whenReady(cmd, o.startTimeout)) {
      await whenReady(sub, o.startTimeout);
      await this.runPass();
    } else this.fail(new Error(`redis not reachable at start (${conn.url.replace(/\/\/[^@]*@/, '//***@')})`));
    this.timer = setInterval(() => void this.runPass(), o.syncInterval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.running) await this.running.catch(() => {});
    this.cmd?.disconnect();
    this.sub?.disconnect();
    this.cmd = null;
    this.sub = null;
  }

  private async push(op: OutboxOp): Promise<void> {
    await pushOp(this.cmd!, this.K, this.node, op, this.now());
    this.outbox.settle(op);
  }

  /** Other nodes' changes, in version order; a gap or an unreadable message asks for a reconcile. */
  private onMessage(channel: string, raw: string): void {
    if (channel !== this.K.channel) return;
    const m = decodeMessage(raw);
    if (!m || m.version <= this.lastVersion) return;
    if (m.version !== this.lastVersion + 1) this.needReconcile = true;
    this.lastVersion = m.version;
    try {
      applyChange(this.view, m);
    } catch {
      this.needReconcile = true; // a message we could not read: the reconcile sets things right
    }
  }

  private runPass(): Promise<void> {
    if (!this.running)
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    const t = this.now();
    if (!this.ready()) {
      if (this.passOk) this.fail(new Error(`redis ${this.cmd?.status ?? 'closed'}`));
      this.needReconcile = true;
      return;
    }
    try {
      await this.exchange(t);
      if (!this.passOk && this.lastSyncAt > 0) this.log?.info({}, 'shared state: redis reachable again; reconciled');
      this.passOk = true;
      this.lastError = '';
      this.lastSyncAt = t;
    } catch (e) {
      this.needReconcile = true;
      this.fail(e);
    }
  }

  /** One sync pass's exchanges with the store, in order; throws on the first failure. */
  private async exchange(t: number): Promise<void> {
    const K = this.K;
    // After a reconnect, look for a store that lost its data before replaying our writes
    // (which would recreate the version and hide the loss).
    if (this.needReconcile && (await this.cmd!.exists(K.version)) === 0) queueReseed(this.view, this.outbox, t);
    for (const op of this.outbox.pending(t)) await this.push(op);
    const v = await syncCounts(this.cmd!, K, this.pending, this.view, t, this.latestSecond);
    if (this.needReconcile) await this.syncKeys(t, false);
    if (this.needReconcile || v === null || Number(v) !== this.lastVersion) await this.reconcile(t);
    if (t - this.lastReconcileAt >= this.reconcileInterval) {
      // Expired entries are dropped from Redis by whichever node gets here; then a full
      // comparison catches any drift (it changes nothing, and fires nothing, when in step).
      await this.cmd!.rampartSweep(K.bans, K.banExpiry, K.banGone, t);
      await this.cmd!.rampartSweep(K.mitigations, K.mitigationExpiry, K.mitigationGone, t);
      await this.reconcile(t);
    }
    if (this.view.keyRing.due(t)) await this.syncKeys(t, true);
    this.view.sweep(t);
  }

  /** Loads the whole store into the view (reseeding an emptied store first), keeping our unconfirmed writes. */
  private async reconcile(t: number): Promise<void> {
    const K = this.K;
    const res = await this.cmd!.multi()
      .get(K.version)
      .hgetall(K.bans)
      .hgetall(K.mitigations)
      .hgetall(K.mode)
      .hgetall(K.keys)
      .exec();
    if (!res || res.some(([e]) => e)) throw res?.find(([e]) => e)?.[0] ?? new Error('redis transaction aborted');
    const [v, bans, mitigations, mode, keys] = res.map(([, x]) => x) as [
      string | null,
      Record<string, string>,
      Record<string, string>,
      Record<string, string>,
      Record<string, string>,
    ];
    if (v === null) {
      queueReseed(this.view, this.outbox, t);
      for (const op of this.outbox.pending(t)) await this.push(op);
      return this.reconcile(t);
    }
    const { snapshot } = decodeSnapshot({ bans, mitigations, mode, keys }, t, {
      keys: [...this.view.keys()],
      rotatedAt: this.view.keyRing.rotatedAt,
    });
    this.view.load(snapshot);
    // ours, not yet stored
    for (const op of this.outbox.pending(t))
      applyChange(this.view, { version: 0, node: this.node, kind: op.kind, data: op.data });
    this.lastVersion = Number(v ?? 0);
    this.needReconcile = false;
    this.lastReconcileAt = t;
    this.reconciles++;
  }

  /** Adopts the store's signing keys; with `rotate`, offers a fresh key (the first node to rotate wins). */
  private async syncKeys(t: number, rotate: boolean): Promise<void> {
    const K = this.K;
    const expected = rotate ? String(this.view.keyRing.rotatedAt) : '';
    const fresh = rotate ? randomBytes(32) : this.view.keys()[0];
    const [c, p, a] = await this.cmd!.rampartKeys(
      K.keys,
      K.version,
      expected,
      fresh.toString('base64'),
      t,
      K.channel,
      this.node,
    );
    const stored = decodeKeys(c, p, a);
    if (stored) this.view.adoptKeys(stored.keys, stored.rotatedAt);
  }
}

/** Applies one change message (another node's, or our own unconfirmed write) to the view. */
function applyChange(view: LocalView, m: ChangeMessage): void {
  const d = m.data as never;
  if (m.kind === 'ban') view.addBan(d);
  else if (m.kind === 'unban') view.removeBan(d);
  else if (m.kind === 'mit') view.putMitigation(d);
  else if (m.kind === 'unmit') view.removeMitigation(d);
  else if (m.kind === 'mode') applyModeField(view, d);
  else if (m.kind === 'keys') {
    const k = d as { current?: string; previous?: string; rotatedAt?: number };
    const stored = decodeKeys(k.current, k.previous, k.rotatedAt);
    if (stored) view.adoptKeys(stored.keys, stored.rotatedAt);
  }
}

function applyModeField(view: LocalView, { field, value }: { field: string; value: string }): void {
  if (field === 'detector') view.setMode(value as Mode);
  else if (field === 'override') view.overrideMode(value ? (value as Mode) : null);
  else if (field === 'enforcement') view.setEnforcement(value as Enforcement);
}
