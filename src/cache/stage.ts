// The cache stage: answers public GET/HEAD from the byte-bounded store
// (`cache/hit`), serves stale copies under attack for stale-able routes and
// while another request refreshes the same key (`cache/stale`), coalesces
// identical misses behind one origin fetch, and hands the forwarder a sink
// that fills the store and can serve stale if the origin fails. Not admission.
// Per request: one key string, one Map lookup; waiters cost a closure each.
import {
  verdict,
  type CacheSink,
  type Mode,
  type RequestContext,
  type Stage,
  type StageResult,
  type Verdict,
} from '../core/model.js';
import type { CacheConfig } from '../config/schema/origin-protection.js';
import { Fill, type FillHost } from './fill.js';
import { cacheKey, compileCookieFilter, normaliseQuery } from './key.js';
import { PassMarks } from './pass-marks.js';
import { compileRules, type RouteRule } from './rules.js';
import { ByteStore, freshUntil, usableUntil, type Entry, type Store } from './store.js';

export const HIT: Verdict = verdict('cache/hit', 'serve', 200);
export const STALE: Verdict = verdict('cache/stale', 'serve', 200);

export interface CacheDeps {
  now(): number;
  mode(): Mode;
  /** Cookies never counted as credentials besides the configured ones (the challenge's pass cookie). */
  extraIgnoredCookies?: readonly string[];
  /** Opens the store (cluster workers: the machine's shared one); default: this process's memory. */
  openStore?: ((maxBytes: number) => Store) | null;
  /** The stored copies may not be reused (a reload changed the origin): the store is emptied. */
  forget?: boolean;
}

export interface CacheStats {
  hits: number;
  misses: number;
  staleServed: number;
  coalesced: number;
  /** Requests not looked up: credentials on a non-public route, or a class that is not stored. */
  bypassed: number;
  stored: number;
  uncacheable: number;
  /** Misses sent straight to the origin because the URL's last answer was not storable. */
  passed: number;
  bytes: number;
  maxBytes: number;
  entries: number;
  evictions: number;
  pendingFills: number;
  waiting: number;
}

export interface Cache {
  readonly stage: Stage;
  stats(): CacheStats;
  /** The stored responses, handed to the next graph on a reload (same max_bytes). */
  readonly store: Store;
}

/** For non-leaders: no filling, only the stale fallback. */
class StaleSink implements CacheSink {
  constructor(
    private readonly host: FillHost,
    private readonly e: Entry,
  ) {}
  start(): boolean {
    return false;
  }
  data(): void {}
  end(): void {}
  abort(): void {}
  serveStale(ctx: RequestContext): boolean {
    return this.host.serveStale(ctx, this.e);
  }
}

/** `previous`: the cache of the graph a reload replaces; its stored copies are kept when max_bytes is unchanged. */
export function compileCache(config: CacheConfig, deps: CacheDeps, previous: Cache | null = null): Cache {
  const store =
    previous !== null && previous.store.maxBytes === config.maxBytes
      ? previous.store
      : deps.openStore
        ? deps.openStore(config.maxBytes)
        : new ByteStore(config.maxBytes);
  if (deps.forget === true) store.clear();
  const rules = compileRules(config.routes);
  const hasCredentialCookie = compileCookieFilter([...config.ignoreCookies, ...(deps.extraIgnoredCookies ?? [])]);
  const pending = new Map<string, Fill>();
  const marks = new PassMarks();
  const s = {
    hits: 0,
    misses: 0,
    staleServed: 0,
    coalesced: 0,
    bypassed: 0,
    stored: 0,
    uncacheable: 0,
    passed: 0,
    waiting: 0,
  };
  const maxPending = 4096;

  function write(ctx: RequestContext, e: Entry, v: Verdict, now: number): void {
    const res = ctx.res;
    ctx.verdict = v;
    if (res.destroyed || res.headersSent) return;
    const age = Math.max(0, Math.floor((now - e.storedAt + e.ageAtStore) / 1000));
    const h = e.headers.slice();
    h.push('age', String(age), 'rampart-verdict', v.rule);
    if (ctx.offerSeen && ctx.issueSeen !== null) h.push('set-cookie', ctx.issueSeen(ctx));
    ctx.status = e.status;
    ctx.bytesOut = ctx.method === 'HEAD' ? 0 : e.body.length;
    res.writeHead(e.status, h);
    res.end(ctx.method === 'HEAD' ? undefined : e.body);
  }

  const host: FillHost = {
    store,
    maxEntryBytes: config.maxEntryBytes,
    maxStaleMs: config.maxStale,
    now: deps.now,
    settle(fill, e) {
      if (pending.get(fill.key) === fill) pending.delete(fill.key);
      if (e !== null) {
        s.stored++;
        marks.clear(PassMarks.hash(fill.key));
      }
      const w = fill.waiters;
      s.waiting -= w.length;
      for (let i = 0; i < w.length; i++) w[i](e);
    },
    serveStale(ctx, e) {
      const now = deps.now();
      if (now > freshUntil(e) + e.staleMs || ctx.res.headersSent || ctx.res.destroyed) return false;
      s.staleServed++;
      write(ctx, e, STALE, now);
      return true;
    },
    uncacheable(key) {
      s.uncacheable++;
      marks.mark(PassMarks.hash(key), deps.now());
    },
  };

  function lead(ctx: RequestContext, key: string, rule: RouteRule, stale: Entry | null): null {
    s.misses++;
    if (pending.size >= maxPending || ctx.method !== 'GET') {
      if (stale !== null) ctx.cacheSink = new StaleSink(host, stale);
      return null;
    }
    const fill = new Fill(host, ctx, key, rule, stale);
    pending.set(key, fill);
    ctx.cacheSink = fill;
    const prev = ctx.onDone;
    ctx.onDone =
      prev === null
        ? fill.done
        : (c) => {
            fill.done();
            prev(c);
          };
    return null;
  }

  function lookup(ctx: RequestContext, key: string, rule: RouteRule, attack: boolean, waited: boolean): StageResult {
    const now = deps.now();
    const e = store.find(key, ctx.req.headers, now);
    if (e !== null && now < freshUntil(e)) {
      s.hits++;
      write(ctx, e, HIT, now);
      return HIT;
    }
    if (e === null && marks.has(PassMarks.hash(key), now)) {
      // Recently uncacheable: no coalescing, each request goes to the origin.
      s.misses++;
      s.passed++;
      return null;
    }
    const fill = pending.get(key);
    if (e !== null && fill !== undefined) {
      // Someone is already refreshing this key: within stale-while-revalidate,
      // or under attack on a stale-able route, the others get the old copy now.
      const limit = attack && rule.stale ? usableUntil(e) : freshUntil(e) + e.swrMs;
      if (now <= limit) {
        s.staleServed++;
        write(ctx, e, STALE, now);
        return STALE;
      }
    }
    if (fill !== undefined && !waited && s.waiting < config.maxWaiters) {
      s.coalesced++;
      s.waiting++;
      return new Promise<Verdict | null>((resolve) => {
        fill.waiters.push((stored) => {
          if (ctx.res.destroyed) return resolve(HIT); // the client left while waiting: nothing to send
          if (stored !== null) return resolve(lookup(ctx, key, rule, attack, true) as Verdict | null);
          // The leader's answer was not stored: go to the origin (with a stale fallback).
          if (e !== null) ctx.cacheSink = new StaleSink(host, e);
          resolve(null);
        });
      });
    }
    if (waited && fill !== undefined) {
      if (e !== null) ctx.cacheSink = new StaleSink(host, e);
      return null;
    }
    return lead(ctx, key, rule, e);
  }

  const stage: Stage = {
    name: 'cache',
    run(ctx) {
      const m = ctx.method;
      if ((m !== 'GET' && m !== 'HEAD') || ctx.upgradeHead !== null) return null;
      const rule = rules.get(ctx.routeClass);
      const h = ctx.req.headers;
      if (!rule.store || (!rule.public && (h.authorization !== undefined || hasCredentialCookie(h.cookie)))) {
        s.bypassed++;
        return null;
      }
      const attack = deps.mode() === 'under_attack';
      if (attack && rule.queryAllowlist !== null) normaliseQuery(ctx, rule.queryAllowlist);
      return lookup(ctx, cacheKey(ctx), rule, attack, false);
    },
  };

  return {
    stage,
    store,
    stats: () => ({
      ...s,
      bytes: store.bytes(),
      maxBytes: store.maxBytes,
      entries: store.entries,
      evictions: store.evictions,
      pendingFills: pending.size,
    }),
  };
}
