// Per-key rate limits: token buckets by client address, /24 prefix,
// fingerprint, TLS/HTTP2 client fingerprint and route class, each with a rate/burst per route class. A
// class that inherits a key type's default shares one bucket with all other
// inheriting classes; a class with its own limit gets its own bucket.
// Memory ceiling: lruBytes of tracked + tracked/4 + tracked/16 + 64 keys
// (≈ 48 MB for 1,000,000 tracked addresses, touched pages only). Hot path: ≤ 4 bucket takes.
import type { PolicyConfig } from '../config/schema/policy.js';
import { CLIENT_COOKIE, type RequestContext, type Verdict } from '../core/model.js';
import { createTokenBuckets, type TokenBuckets } from '../core/token-bucket.js';
import { limitVerdicts, type LimitVerdicts } from './verdicts.js';

export type KeyType = 'address' | 'prefix' | 'fingerprint' | 'route' | 'client';
/** `client`: the connection's TLS/HTTP2 fingerprint (ctx.clientFp; requests without one are not counted). */
export const KEY_TYPES: readonly KeyType[] = ['address', 'prefix', 'fingerprint', 'route', 'client'];

interface Rule {
  rate: number;
  burst: number;
  /** 0: shared default bucket; else the class index + 1 mixed into the key. */
  ns: number;
  verdicts: LimitVerdicts;
}

export interface Limits {
  /** The limit verdict for this request in route class `cls`, or null (tokens taken). */
  check(ctx: RequestContext, cls: number, now: number): Verdict | null;
  stats(): LimitStats;
  /** The bucket tables, so that a reloaded policy can keep them (and every client's state). */
  readonly tables: LimitTables;
}

export type LimitTables = Readonly<Record<KeyType, TokenBuckets | null>>;

export interface LimitStats {
  tracked: Record<'address' | 'prefix' | 'fingerprint', number>;
  evictions: number;
  /** Ceiling of the bucket tables' memory, bytes. */
  bytes: number;
}

/** Mixes a namespace into a 32-bit key (murmur3 finaliser): per-class buckets in a shared table. */
export function mixKey(key: number, ns: number): number {
  let h = key ^ Math.imul(ns, 0x9e3779b9);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16); // int32: stays a small integer (uint32 above 2^31 would be boxed)
}

function ruleName(type: KeyType, className: string, own: boolean): string {
  if (type === 'route') return `limit/${className}.route`;
  if (!own) return `limit/${type}`;
  return type === 'address' ? `limit/${className}` : `limit/${className}.${type}`;
}

function compileRules(config: PolicyConfig['rateLimits'], names: readonly string[], type: KeyType): (Rule | null)[] {
  const def = config.default[type];
  const shared = def ? limitVerdicts(ruleName(type, '', false)) : null;
  return names.map((name, i) => {
    const cls = config.classes[name];
    const own = cls !== undefined && cls[type] !== undefined;
    const lim = own ? cls[type]! : def;
    if (lim === null || lim === undefined) return null;
    // Route buckets are per class by nature; key types share the default bucket unless overridden.
    if (type === 'route')
      return { rate: lim.rate, burst: lim.burst, ns: 0, verdicts: limitVerdicts(ruleName(type, name, own)) };
    return {
      rate: lim.rate,
      burst: lim.burst,
      ns: own ? i + 1 : 0,
      verdicts: own ? limitVerdicts(ruleName(type, name, true)) : shared!,
    };
  });
}

/** What a request carrying a valid seen cookie costs the prefix bucket (a quarter: 4× the prefix budget for people). */
export const PREFIX_COOKIE_COST = 0.25;

function take(t: TokenBuckets, r: Rule, key: number, now: number, cost = 1): Verdict | null {
  const wait = t.takeWith(r.ns === 0 ? key : mixKey(key, r.ns), now, cost, r.rate, r.burst);
  return wait === 0 ? null : r.verdicts.forWait(wait);
}

/**
 * `keep`: the tables of the policy being replaced (config reload). A table of
 * the same capacity is reused, so clients keep their buckets: a reload during
 * an attack does not hand every limited source a fresh burst.
 */
export function compileLimits(
  config: PolicyConfig['rateLimits'],
  names: readonly string[],
  keep: LimitTables | null = null,
): Limits | null {
  if (!config.enabled) return null;
  const rules = Object.fromEntries(KEY_TYPES.map((t) => [t, compileRules(config, names, t)])) as Record<
    KeyType,
    (Rule | null)[]
  >;
  const used = (t: KeyType) => rules[t].some((r) => r !== null);
  if (!KEY_TYPES.some(used)) return null;
  const tracked = config.tracked;
  const table = (t: KeyType, capacity: number): TokenBuckets | null => {
    if (!used(t)) return null;
    const old = keep?.[t] ?? null;
    return old !== null && old.capacity === capacity ? old : createTokenBuckets({ capacity, rate: 1, burst: 1 });
  };
  const byAddress = table('address', tracked);
  const byPrefix = table('prefix', Math.max(1024, tracked >>> 2));
  const byFp = table('fingerprint', Math.max(1024, tracked >>> 4));
  const byRoute = table('route', 64);
  const byClient = table('client', Math.max(1024, tracked >>> 4));
  const [ra, rp, rf, rr, rc] = [rules.address, rules.prefix, rules.fingerprint, rules.route, rules.client];
  const tables = [byAddress, byPrefix, byFp, byRoute, byClient].filter((t): t is TokenBuckets => t !== null);

  return {
    tables: { address: byAddress, prefix: byPrefix, fingerprint: byFp, route: byRoute, client: byClient },
    check(ctx, cls, now) {
      let v: Verdict | null = null;
      let r = ra[cls];
      if (r !== null && byAddress !== null && (v = take(byAddress, r, ctx.clientKey, now)) !== null) return v;
      r = rp[cls];
      // A /24 is many people behind a campus or carrier NAT: a request that returns its seen cookie is one
      // person's (also limited by its own address), charged a quarter; anonymous traffic is charged in full.
      if (
        r !== null &&
        byPrefix !== null &&
        (v = take(byPrefix, r, ctx.prefixKey, now, ctx.clientState === CLIENT_COOKIE ? PREFIX_COOKIE_COST : 1)) !== null
      )
        return v;
      r = rf[cls];
      if (r !== null && byFp !== null && (v = take(byFp, r, ctx.fingerprint, now)) !== null) return v;
      r = rc[cls];
      if (r !== null && byClient !== null && ctx.clientFp !== 0 && (v = take(byClient, r, ctx.clientFp, now)) !== null)
        return v;
      r = rr[cls];
      if (r !== null && byRoute !== null && (v = take(byRoute, r, cls, now)) !== null) return v;
      return null;
    },
    stats: () => ({
      tracked: { address: byAddress?.size() ?? 0, prefix: byPrefix?.size() ?? 0, fingerprint: byFp?.size() ?? 0 },
      evictions: tables.reduce((n, t) => n + t.evictions(), 0),
      bytes: tables.reduce((n, t) => n + t.bytes, 0),
    }),
  };
}
