// The redis/valkey backend: SharedState for several nodes. Reads always come
// from the LocalView (synchronous); writes change the view at once and go to
// Redis in the background (Lua: write + version bump + publish). A sync pass
// (every `syncInterval`) flushes counters, fetches global sums, checks the
// version and reconciles; pub/sub brings other nodes' changes in between.
// Redis slow or down: the node defends on its view, health() says so, the
// outbox keeps its writes, and the reconnect replays them and reconciles.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { RampartError } from '../core/errors.js';
import { parseBanTarget } from './ban-index.js';
import { checkBan } from './ban-table.js';
import { checkEnforcement, checkMode, LocalView, localReads } from './local-view.js';
import { DEFAULT_KEY_ROTATION, type MemoryStateOptions } from './memory.js';
import { checkMitigation } from './mitigation-table.js';
import { Outbox, type OutboxOp } from './outbox.js';
import { PendingCounts } from './pending-counts.js';
import { decodeKeys, decodeMessage, decodeSnapshot, type ChangeMessage } from './redis-codec.js';
import { pushOp, queueReseed, syncCounts, type Commands } from './redis-ops.js';
import { openRedis, whenReady, type RedisClient, type RedisConnectOptions } from './redis-connect.js';
import { APPLY_LUA, KEYS_LUA, redisKeys, SWEEP_LUA } from './redis-scripts.js';
import { INCIDENT_LUA, incidentStamp, type SharedIncident } from './incident-slot.js';
import type { SharedState, StateHealth } from './types.js';

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
  const now = opts.now ?? Date.now;
  const node = randomUUID();
  const K = redisKeys(opts.keyPrefix ?? 'rampart');
  const view = new LocalView({
    now,
    keyRotation: opts.keyRotation ?? DEFAULT_KEY_ROTATION,
    maxBans: opts.maxBans,
    maxMitigations: opts.maxMitigations,
    countSeconds: opts.countSeconds,
  });
  const conn: RedisConnectOptions = {
    url: opts.url ?? 'redis://127.0.0.1:6379',
    sentinels: opts.sentinels,
    sentinelName: opts.sentinelName,
    cluster: opts.cluster,
    commandTimeout: opts.commandTimeout ?? 1000,
    connectTimeout: opts.connectTimeout ?? 2000,
  };
  const syncInterval = opts.syncInterval ?? 1000;
  const reconcileInterval = opts.reconcileInterval ?? 30_000;
  const outbox = new Outbox();
  const pending = new PendingCounts(opts.countSeconds ?? 120);
  let cmd: Commands | null = null;
  let sub: RedisClient | null = null;
  let timer: NodeJS.Timeout | null = null;
  let lastVersion = -1;
  let needReconcile = true;
  let lastReconcileAt = 0;
  let lastSyncAt = 0;
  let lastError = '';
  let passOk = false;
  let running: Promise<void> | null = null;
  let latestSecond = 0;
  let reconciles = 0;

  const ready = () => cmd !== null && cmd.status === 'ready';
  const fail = (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    if (passOk || msg !== lastError)
      opts.log?.warn({ err: msg }, 'shared state: redis unreachable or slow; defending on the local view');
    lastError = msg;
    passOk = false;
  };

  // ---- writes: local at once, then Redis (or the outbox when it is away) ----
  function send(op: OutboxOp): void {
    outbox.push(op);
    if (!ready()) return;
    push(op).catch(fail);
  }

  async function push(op: OutboxOp): Promise<void> {
    await pushOp(cmd!, K, node, op, now());
    outbox.settle(op);
  }

  function setModeField(field: 'detector' | 'override' | 'enforcement', value: string): void {
    send({ key: `mode:${field}`, kind: 'mode', data: { field, value }, until: Infinity });
  }

  // ---- node-to-node payloads (the detectors' window parts): fire and forget ----
  const nodeTag = Buffer.from(node); // 36 bytes: a payload's sender, so a node ignores its own
  const nodeListeners: ((payload: Buffer) => void)[] = [];
  function onNodeBuffer(channel: Buffer, msg: Buffer): void {
    if (nodeListeners.length === 0 || msg.length < nodeTag.length || channel.toString() !== K.nodes) return;
    if (msg.subarray(0, nodeTag.length).equals(nodeTag)) return;
    const payload = msg.subarray(nodeTag.length);
    for (const fn of nodeListeners.slice()) {
      try {
        fn(payload);
      } catch {
        // a listener's bug must not break the subscription
      }
    }
  }

  // ---- other nodes' changes ----
  function onMessage(channel: string, raw: string): void {
    if (channel !== K.channel) return;
    const m = decodeMessage(raw);
    if (!m || m.version <= lastVersion) return;
    if (m.version !== lastVersion + 1) needReconcile = true;
    lastVersion = m.version;
    try {
      applyRemote(m);
    } catch {
      needReconcile = true; // a message we could not read: the reconcile sets things right
    }
  }

  function applyRemote(m: ChangeMessage): void {
    const d = m.data as never;
    if (m.kind === 'ban') view.addBan(d);
    else if (m.kind === 'unban') view.removeBan(d);
    else if (m.kind === 'mit') view.putMitigation(d);
    else if (m.kind === 'unmit') view.removeMitigation(d);
    else if (m.kind === 'mode') {
      const { field, value } = d as { field: string; value: string };
      if (field === 'detector') view.setMode(value as Mode);
      else if (field === 'override') view.overrideMode(value ? (value as Mode) : null);
      else if (field === 'enforcement') view.setEnforcement(value as Enforcement);
    } else if (m.kind === 'keys') {
      const k = d as { current?: string; previous?: string; rotatedAt?: number };
      const stored = decodeKeys(k.current, k.previous, k.rotatedAt);
      if (stored) view.adoptKeys(stored.keys, stored.rotatedAt);
    }
  }

  // ---- the sync pass ----

  async function reconcile(t: number): Promise<void> {
    const res = await cmd!
      .multi()
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
      queueReseed(view, outbox, t);
      for (const op of outbox.pending(t)) await push(op);
      return reconcile(t);
    }
    const { snapshot } = decodeSnapshot({ bans, mitigations, mode, keys }, t, {
      keys: [...view.keys()],
      rotatedAt: view.keyRing.rotatedAt,
    });
    view.load(snapshot);
    for (const op of outbox.pending(t)) applyRemote({ version: 0, node, kind: op.kind, data: op.data }); // ours, not yet stored
    lastVersion = Number(v ?? 0);
    needReconcile = false;
    lastReconcileAt = t;
    reconciles++;
  }

  async function syncKeys(t: number, rotate: boolean): Promise<void> {
    const expected = rotate ? String(view.keyRing.rotatedAt) : '';
    const fresh = rotate ? randomBytes(32) : view.keys()[0];
    const [c, p, a] = await cmd!.rampartKeys(K.keys, K.version, expected, fresh.toString('base64'), t, K.channel, node);
    const stored = decodeKeys(c, p, a);
    if (stored) view.adoptKeys(stored.keys, stored.rotatedAt);
  }

  async function pass(): Promise<void> {
    const t = now();
    if (!ready()) {
      if (passOk) fail(new Error(`redis ${cmd?.status ?? 'closed'}`));
      needReconcile = true;
      return;
    }
    try {
      // After a reconnect, look for a store that lost its data before replaying our writes
      // (which would recreate the version and hide the loss).
      if (needReconcile && (await cmd!.exists(K.version)) === 0) queueReseed(view, outbox, t);
      for (const op of outbox.pending(t)) await push(op);
      const v = await syncCounts(cmd!, K, pending, view, t, latestSecond);
      if (needReconcile) await syncKeys(t, false);
      if (needReconcile || v === null || Number(v) !== lastVersion) await reconcile(t);
      if (t - lastReconcileAt >= reconcileInterval) {
        // Expired entries are dropped from Redis by whichever node gets here; then a full
        // comparison catches any drift (it changes nothing, and fires nothing, when in step).
        await cmd!.rampartSweep(K.bans, K.banExpiry, K.banGone, t);
        await cmd!.rampartSweep(K.mitigations, K.mitigationExpiry, K.mitigationGone, t);
        await reconcile(t);
      }
      if (view.keyRing.due(t)) await syncKeys(t, true);
      view.sweep(t);
      if (!passOk && lastSyncAt > 0) opts.log?.info({}, 'shared state: redis reachable again; reconciled');
      passOk = true;
      lastError = '';
      lastSyncAt = t;
    } catch (e) {
      needReconcile = true;
      fail(e);
    }
  }

  function runPass(): Promise<void> {
    if (!running) running = pass().finally(() => (running = null));
    return running;
  }

  return {
    ...localReads(view),
    setMode(m: Mode) {
      if (view.setMode(m)) setModeField('detector', m);
    },
    overrideMode(m: Mode | null) {
      checkMode(m, true);
      if (view.overrideMode(m)) setModeField('override', m ?? '');
    },
    setEnforcement(e: Enforcement) {
      checkEnforcement(e);
      if (view.setEnforcement(e)) setModeField('enforcement', e);
    },
    addBan(b: Ban) {
      const t = checkBan(b);
      if (view.addBan(b)) send({ key: `ban:${t.id}`, kind: 'ban', data: b, until: b.until });
    },
    removeBan(target: string) {
      const t = parseBanTarget(target);
      const had = view.removeBan(target);
      if (t) send({ key: `ban:${t.id}`, kind: 'unban', data: target, until: Infinity });
      return had;
    },
    putMitigation(m: Mitigation) {
      checkMitigation(m);
      if (view.putMitigation(m)) send({ key: `mit:${m.id}`, kind: 'mit', data: m, until: m.until });
    },
    removeMitigation(id: string) {
      const had = view.removeMitigation(id);
      if (typeof id === 'string' && id) send({ key: `mit:${id}`, kind: 'unmit', data: id, until: Infinity });
      return had;
    },
    addCounts(second, counts) {
      if (!view.counters.add(second, counts)) return;
      pending.add(second, counts);
      if (second > latestSecond) latestSecond = second;
    },
    async nextId(name: string): Promise<number> {
      if (!ready())
        throw new RampartError(
          'E_STATE_DOWN',
          'shared state (redis) is unreachable: no id can be handed out',
          'internal',
          'retry later; check state.redis.url',
        );
      return Number(await cmd!.incr(K.seq(name)));
    },
    async joinIncident(at: number, ttlMs: number): Promise<SharedIncident> {
      if (!ready())
        throw new RampartError(
          'E_STATE_DOWN',
          'shared state (redis) is unreachable: no shared incident id',
          'internal',
          "the incident is recorded under this node's own id",
        );
      const [id, started] = await cmd!.rampartIncident(
        K.incident,
        K.seq('incident'),
        at,
        Math.max(0, Math.round(ttlMs)),
        incidentStamp(at),
      );
      return { id: String(id), startedAt: Number(started) };
    },
    sendToNodes(payload: Buffer): void {
      if (!ready()) return; // dropped: the next second's payload replaces it anyway
      cmd!.publish(K.nodes, Buffer.concat([nodeTag, payload])).catch(fail);
    },
    onNodeMessage(fn) {
      nodeListeners.push(fn);
      return () => {
        const i = nodeListeners.indexOf(fn);
        if (i >= 0) nodeListeners.splice(i, 1);
      };
    },
    putLearned(name, data, at) {
      if (!ready()) return; // the next save (a few times a minute) tries again
      const head = Buffer.alloc(8);
      head.writeDoubleBE(at, 0);
      cmd!
        .set(
          K.learned(name),
          Buffer.concat([head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
          'PX',
          LEARNED_TTL_MS,
        )
        .catch(fail);
    },
    async getLearned(name) {
      if (!ready()) return null;
      const v = await cmd!.getBuffer(K.learned(name)).catch(() => null);
      if (v === null || v.length < 8) return null;
      return { savedAt: v.readDoubleBE(0), data: v.subarray(8) };
    },
    onChange: (fn) => view.onChange(fn),
    health: (): StateHealth => ({
      backend: 'redis',
      connected: ready() && passOk,
      lastSyncAt,
      error: lastError,
      outbox: outbox.size,
    }),
    stats: () => ({ outbox: outbox.size, outboxDropped: outbox.dropped, reconciles, pendingSeconds: pending.size }),
    async start(): Promise<void> {
      if (cmd) return;
      cmd = openRedis(conn, false) as Commands;
      sub = openRedis(conn, true);
      cmd.defineCommand('rampartApply', { numberOfKeys: 4, lua: APPLY_LUA });
      cmd.defineCommand('rampartKeys', { numberOfKeys: 2, lua: KEYS_LUA });
      cmd.defineCommand('rampartSweep', { numberOfKeys: 3, lua: SWEEP_LUA });
      cmd.defineCommand('rampartIncident', { numberOfKeys: 2, lua: INCIDENT_LUA });
      cmd.on('error', fail);
      sub.on('error', () => {}); // the command connection reports; ioredis reconnects both
      cmd.on('ready', () => void runPass());
      sub.on('ready', () => {
        needReconcile = true; // messages may have been missed while away
        void runPass();
      });
      sub.on('message', onMessage);
      sub.on('messageBuffer', onNodeBuffer);
      void sub.subscribe(K.channel, K.nodes).catch(fail);
      const limit = opts.startTimeout ?? 3000;
      if (await whenReady(cmd, limit)) {
        await whenReady(sub, limit);
        await runPass();
      } else fail(new Error(`redis not reachable at start (${conn.url.replace(/\/\/[^@]*@/, '//***@')})`));
      timer = setInterval(() => void runPass(), syncInterval);
      timer.unref();
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      if (running) await running.catch(() => {});
      cmd?.disconnect();
      sub?.disconnect();
      cmd = null;
      sub = null;
    },
  };
}
