// The redis backend's store operations, apart from its lifecycle: one write
// (outbox op → Lua script), the reseed of an emptied store from the local
// view, and the batched counter flush with the fetch of global sums.
// Never on the request path: called by writes' background sends and the sync pass.
import type { Ban, Mitigation } from '../core/model.js';
import { parseBanTarget } from './ban-index.js';
import type { LocalView } from './local-view.js';
import type { Outbox, OutboxOp } from './outbox.js';
import type { PendingCounts } from './pending-counts.js';
import { encodeMessage } from './redis-codec.js';
import type { RedisClient } from './redis-connect.js';
import type { RedisKeys } from './redis-scripts.js';

export type Commands = RedisClient & {
  rampartApply(k1: string, k2: string, k3: string, k4: string, ...argv: (string | number)[]): Promise<number>;
  rampartKeys(k1: string, k2: string, ...argv: (string | number)[]): Promise<[string, string, string]>;
  rampartSweep(k1: string, k2: string, k3: string, now: number): Promise<number>;
  rampartIncident(k1: string, k2: string, at: number, ttl: number, stamp: string): Promise<[string, string]>;
};

/** Recent seconds whose global sums each pass fetches (late flushes of other nodes keep arriving). */
const FETCH_SECONDS = 5;
const COUNTS_TTL_S = 600;

/**
 * One call of the apply script (redis-scripts.ts APPLY_LUA) apart from the
 * version, channel and message it always gets: which hash (with its expiry
 * index and tombstones), what to do, which field, the value and its expiry,
 * and the time the change is stamped with.
 */
interface ApplyCall {
  hash: string;
  expiry: string;
  gone: string;
  verb: string;
  field: string;
  value: string;
  until: number;
  stamp: number;
}

/** Stores one write, bumps the version and publishes it (one script call). */
export async function pushOp(c: Commands, K: RedisKeys, node: string, op: OutboxOp, now: number): Promise<void> {
  const msg = encodeMessage(node, op.kind, op.data);
  const a = applyCall(K, op, now);
  await c.rampartApply(a.hash, a.expiry, K.version, a.gone, a.verb, a.field, a.value, a.until, K.channel, msg, a.stamp);
}

function applyCall(K: RedisKeys, op: OutboxOp, now: number): ApplyCall {
  const put = op.seed ? 'seed' : 'put';
  const bans = { hash: K.bans, expiry: K.banExpiry, gone: K.banGone };
  const mitigations = { hash: K.mitigations, expiry: K.mitigationExpiry, gone: K.mitigationGone };
  if (op.kind === 'ban') {
    const b = op.data as Ban;
    const field = parseBanTarget(b.target)!.id;
    return { ...bans, verb: put, field, value: JSON.stringify(b), until: b.until, stamp: b.createdAt };
  }
  if (op.kind === 'unban') {
    const field = parseBanTarget(op.data as string)!.id;
    return { ...bans, verb: 'del', field, value: '', until: 0, stamp: now };
  }
  if (op.kind === 'mit') {
    const m = op.data as Mitigation;
    return { ...mitigations, verb: put, field: m.id, value: JSON.stringify(m), until: m.until, stamp: m.createdAt };
  }
  if (op.kind === 'unmit')
    return { ...mitigations, verb: 'del', field: op.data as string, value: '', until: 0, stamp: now };
  // The mode hash has no expiry: the ban indexes are passed only to fill the script's key slots.
  const d = op.data as { field: string; value: string };
  const verb = op.seed ? 'setnx' : 'set';
  return {
    hash: K.mode,
    expiry: K.banExpiry,
    gone: K.banGone,
    verb,
    field: d.field,
    value: d.value,
    until: 0,
    stamp: 0,
  };
}

/**
 * The store has no version: it is new, or it restarted without its data. The
 * view is then the best record left, so it is queued for writing back (as
 * reseed ops, which never overwrite nor resurrect) instead of being wiped.
 */
export function queueReseed(view: LocalView, outbox: Outbox, t: number): void {
  const keep = (key: string) => !outbox.has(key); // our own unconfirmed writes are newer than the view's copy
  for (const b of view.bans()) {
    const key = `ban:${parseBanTarget(b.target)!.id}`;
    if (b.until > t && keep(key)) outbox.push({ key, kind: 'ban', data: b, until: b.until, seed: true });
  }
  for (const m of view.mitigations())
    if (m.until > t && keep(`mit:${m.id}`))
      outbox.push({ key: `mit:${m.id}`, kind: 'mit', data: m, until: m.until, seed: true });
  const fields: [string, string][] = [
    ['detector', view.detectorMode()],
    ['override', view.overriddenMode() ?? ''],
    ['enforcement', view.enforcement()],
  ];
  for (const [field, value] of fields)
    if (keep(`mode:${field}`))
      outbox.push({ key: `mode:${field}`, kind: 'mode', data: { field, value }, until: Infinity, seed: true });
}

/**
 * Flushes pending counts (HINCRBY, one transaction), fetches the global sums of
 * the last seconds into the view and returns the store's version (null if unset).
 * On failure the counts go back to pending.
 */
export async function syncCounts(
  c: Commands,
  K: RedisKeys,
  pending: PendingCounts,
  view: LocalView,
  t: number,
  latestSecond: number,
): Promise<string | null> {
  const batch = pending.take();
  const top = Math.max(Math.floor(t / 1000), latestSecond);
  const seconds: number[] = [];
  for (let s = top - FETCH_SECONDS + 1; s <= top; s++) if (s > 0) seconds.push(s);
  const m = c.multi();
  for (const [s, counts] of batch) {
    for (const name in counts) {
      const v = counts[name];
      if (Number.isInteger(v)) m.hincrby(K.counts(s), name, v);
      else m.hincrbyfloat(K.counts(s), name, v);
    }
    m.expire(K.counts(s), COUNTS_TTL_S);
  }
  for (const s of seconds) m.hgetall(K.counts(s));
  m.get(K.version);
  let res: [Error | null, unknown][] | null;
  try {
    res = await m.exec();
    if (!res) throw new Error('redis transaction aborted');
  } catch (e) {
    pending.restore(batch);
    throw e;
  }
  const base = res.length - seconds.length - 1;
  for (let i = 0; i < seconds.length; i++) {
    const [err, h] = res[base + i];
    const sums: Record<string, number> = {};
    let any = false;
    if (!err && h && typeof h === 'object')
      for (const [k, v] of Object.entries(h as Record<string, string>)) {
        sums[k] = Number(v);
        any = true;
      }
    const mine = pending.get(seconds[i]); // added since the flush: not in the store yet
    if (mine)
      for (const k in mine) {
        sums[k] = (sums[k] ?? 0) + mine[k];
        any = true;
      }
    if (any) view.counters.set(seconds[i], sums);
  }
  const [verr, v] = res[res.length - 1];
  return verr ? null : (v as string | null);
}
