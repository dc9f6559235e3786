// The redis/valkey backend: SharedState for several nodes. Reads always come
// from the LocalView (synchronous); writes change the view at once and go to
// Redis in the background (Lua: write + version bump + publish). A sync pass
// (every `syncInterval`, redis-sync.ts) flushes counters, fetches global sums,
// checks the version and reconciles; pub/sub brings other nodes' changes in between.
// Redis slow or down: the node defends on its view, health() says so, the
// outbox keeps its writes, and the reconnect replays them and reconciles.
import { randomUUID } from 'node:crypto';
import { RampartError } from '../core/errors.js';
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { parseBanTarget } from './ban-index.js';
import { checkBan } from './ban-table.js';
import { incidentStamp, type SharedIncident } from './incident-slot.js';
import { checkEnforcement, checkMode, LocalView } from './local-view.js';
import { DEFAULT_KEY_ROTATION, type MemoryStateOptions } from './memory.js';
import { checkMitigation } from './mitigation-table.js';
import type { RedisConnectOptions } from './redis-connect.js';
import { type RedisKeys, redisKeys } from './redis-scripts.js';
import { RedisSync } from './redis-sync.js';
import type { SharedState, StateHealth } from './types.js';
import { ViewBackedState } from './view-backed-state.js';

export interface StateLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface RedisStateOptions extends MemoryStateOptions, Partial<RedisConnectOptions> {
  /** Prefix of every key (one hash slot); nodes sharing it share state. Default "rampart". */
  keyPrefix?: string;
  /** ms between sync passes (counter flush, global sums, version check). Default 1000. */
  syncInterval?: number;
  /** ms between full reconciles and expiry sweeps in Redis, even without a version change. Default 30 000. */
  reconcileInterval?: number;
  /** How long start() waits for the first sync before going on with the local view. Default 3000. */
  startTimeout?: number;
  log?: StateLog;
}

export interface RedisState extends SharedState {
  readonly view: LocalView;
  /** Unconfirmed writes, dropped writes, reconciles: for metrics and tests. */
  stats(): { outbox: number; outboxDropped: number; reconciles: number; pendingSeconds: number };
}

/** Learned-state blobs outlive a week without any node: older is no guide. */
const LEARNED_TTL_MS = 7 * 86_400_000;

export function createRedisState(opts: RedisStateOptions = {}): RedisState {
  return new RedisSharedState(opts);
}

type ModeField = 'detector' | 'override' | 'enforcement';

class RedisSharedState extends ViewBackedState implements RedisState {
  private readonly K: RedisKeys;
  private readonly sync: RedisSync;
  private readonly conn: RedisConnectOptions;
  private readonly startTimeout: number;
  private readonly syncInterval: number;
  /** 36 bytes ahead of every node payload: its sender, so a node ignores its own. */
  private readonly nodeTag: Buffer;
  private readonly nodeListeners: ((payload: Buffer) => void)[] = [];

  constructor(opts: RedisStateOptions) {
    const now = opts.now ?? Date.now;
    const view = new LocalView({
      now,
      keyRotation: opts.keyRotation ?? DEFAULT_KEY_ROTATION,
      maxBans: opts.maxBans,
      maxMitigations: opts.maxMitigations,
      countSeconds: opts.countSeconds,
    });
    super(view);
    const node = randomUUID();
    this.K = redisKeys(opts.keyPrefix ?? 'rampart');
    this.nodeTag = Buffer.from(node);
    this.sync = new RedisSync({
      now,
      node,
      keys: this.K,
      view,
      countSeconds: opts.countSeconds ?? 120,
      reconcileInterval: opts.reconcileInterval ?? 30_000,
      log: opts.log,
    });
    this.conn = {
      url: opts.url ?? 'redis://127.0.0.1:6379',
      sentinels: opts.sentinels,
      sentinelName: opts.sentinelName,
      cluster: opts.cluster,
      commandTimeout: opts.commandTimeout ?? 1000,
      connectTimeout: opts.connectTimeout ?? 2000,
    };
    this.startTimeout = opts.startTimeout ?? 3000;
    this.syncInterval = opts.syncInterval ?? 1000;
  }

  // ---- writes: local at once, then Redis (or the outbox when it is away) ----

  setMode(m: Mode): void {
    if (this.view.setMode(m)) this.sendModeField('detector', m);
  }

  overrideMode(m: Mode | null): void {
    checkMode(m, true);
    if (this.view.overrideMode(m)) this.sendModeField('override', m ?? '');
  }

  setEnforcement(e: Enforcement): void {
    checkEnforcement(e);
    if (this.view.setEnforcement(e)) this.sendModeField('enforcement', e);
  }

  addBan(b: Ban): void {
    const t = checkBan(b);
    if (this.view.addBan(b)) this.sync.send({ key: `ban:${t.id}`, kind: 'ban', data: b, until: b.until });
  }

  removeBan(target: string): boolean {
    const t = parseBanTarget(target);
    const had = this.view.removeBan(target);
    if (t) this.sync.send({ key: `ban:${t.id}`, kind: 'unban', data: target, until: Infinity });
    return had;
  }

  putMitigation(m: Mitigation): void {
    checkMitigation(m);
    if (this.view.putMitigation(m)) this.sync.send({ key: `mit:${m.id}`, kind: 'mit', data: m, until: m.until });
  }

  removeMitigation(id: string): boolean {
    const had = this.view.removeMitigation(id);
    if (typeof id === 'string' && id) this.sync.send({ key: `mit:${id}`, kind: 'unmit', data: id, until: Infinity });
    return had;
  }

  addCounts(second: number, counts: Record<string, number>): void {
    if (!this.view.counters.add(second, counts)) return;
    this.sync.pending.add(second, counts);
    if (second > this.sync.latestSecond) this.sync.latestSecond = second;
  }

  // ---- shared sequences and the shared incident: straight to Redis ----

  async nextId(name: string): Promise<number> {
    if (!this.sync.ready())
      throw new RampartError(
        'E_STATE_DOWN',
        'shared state (redis) is unreachable: no id can be handed out',
        'internal',
        'retry later; check state.redis.url',
      );
    return Number(await this.sync.cmd!.incr(this.K.seq(name)));
  }

  async joinIncident(at: number, ttlMs: number): Promise<SharedIncident> {
    if (!this.sync.ready())
      throw new RampartError(
        'E_STATE_DOWN',
        'shared state (redis) is unreachable: no shared incident id',
        'internal',
        "the incident is recorded under this node's own id",
      );
    const [id, started] = await this.sync.cmd!.rampartIncident(
      this.K.incident,
      this.K.seq('incident'),
      at,
      Math.max(0, Math.round(ttlMs)),
      incidentStamp(at),
    );
    return { id: String(id), startedAt: Number(started) };
  }

  // ---- node-to-node payloads (the detectors' window parts): fire and forget ----

  sendToNodes(payload: Buffer): void {
    if (!this.sync.ready()) return; // dropped: the next second's payload replaces it anyway
    this.sync.cmd!.publish(this.K.nodes, Buffer.concat([this.nodeTag, payload])).catch(this.sync.fail);
  }

  onNodeMessage(fn: (payload: Buffer) => void): () => void {
    this.nodeListeners.push(fn);
    return () => {
      const i = this.nodeListeners.indexOf(fn);
      if (i >= 0) this.nodeListeners.splice(i, 1);
    };
  }

  // ---- learned state: one blob per name, [savedAt as float64 BE][data] ----

  putLearned(name: string, data: Uint8Array, at: number): void {
    if (!this.sync.ready()) return; // the next save (a few times a minute) tries again
    const head = Buffer.alloc(8);
    head.writeDoubleBE(at, 0);
    const blob = Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
    this.sync.cmd!.set(this.K.learned(name), blob, 'PX', LEARNED_TTL_MS).catch(this.sync.fail);
  }

  async getLearned(name: string): Promise<{ savedAt: number; data: Buffer } | null> {
    if (!this.sync.ready()) return null;
    const v = await this.sync.cmd!.getBuffer(this.K.learned(name)).catch(() => null);
    if (v === null || v.length < 8) return null;
    return { savedAt: v.readDoubleBE(0), data: v.subarray(8) };
  }

  // ---- lifecycle and reporting ----

  health(): StateHealth {
    const s = this.sync;
    return {
      backend: 'redis',
      connected: s.ready() && s.passOk,
      lastSyncAt: s.lastSyncAt,
      error: s.lastError,
      outbox: s.outbox.size,
    };
  }

  stats(): { outbox: number; outboxDropped: number; reconciles: number; pendingSeconds: number } {
    const s = this.sync;
    return {
      outbox: s.outbox.size,
      outboxDropped: s.outbox.dropped,
      reconciles: s.reconciles,
      pendingSeconds: s.pending.size,
    };
  }

  start(): Promise<void> {
    return this.sync.start(this.conn, {
      startTimeout: this.startTimeout,
      syncInterval: this.syncInterval,
      onNodeBuffer: (channel, msg) => this.onNodeBuffer(channel, msg),
    });
  }

  close(): Promise<void> {
    return this.sync.close();
  }

  private sendModeField(field: ModeField, value: string): void {
    this.sync.send({ key: `mode:${field}`, kind: 'mode', data: { field, value }, until: Infinity });
  }

  private onNodeBuffer(channel: Buffer, msg: Buffer): void {
    const tag = this.nodeTag;
    if (this.nodeListeners.length === 0 || msg.length < tag.length || channel.toString() !== this.K.nodes) return;
    if (msg.subarray(0, tag.length).equals(tag)) return;
    const payload = msg.subarray(tag.length);
    for (const fn of this.nodeListeners.slice()) {
      try {
        fn(payload);
      } catch {
        // a listener's bug must not break the subscription
      }
    }
  }
}
