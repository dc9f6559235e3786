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
  let store: Store;
  if (previous !== null && previous.store.maxBytes === config.maxBytes) store = previous.store;
  else if (deps.openStore) store = deps.openStore(config.maxBytes);
  else store = new ByteStore(config.maxBytes);
  if (deps.forget === true) store.clear();
  return new CacheStage(config, deps, store);
}

const MAX_PENDING = 4096;

/**
 * The stage, its counters and the host its fills report to, as one object
 * with fields fixed in the constructor: the pipeline calls `run` on it.
 */
class CacheStage implements Cache, Stage, FillHost {
  readonly name = 'cache';
  readonly stage: Stage;
  readonly store: Store;
  readonly maxEntryBytes: number;
  readonly maxStaleMs: number;
  readonly now: () => number;
  private readonly mode: () => Mode;
  private readonly maxWaiters: number;
  private readonly rules: ReturnType<typeof compileRules>;
  private readonly hasCredentialCookie: ReturnType<typeof compileCookieFilter>;
  /** Fills in progress by key (≤ MAX_PENDING; past it, misses are not coalesced). */
  private readonly pending = new Map<string, Fill>();
  /** Keys whose last answer could not be stored: their misses go straight to the origin. */
  private readonly marks = new PassMarks();
  private readonly counts = {
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

  constructor(config: CacheConfig, deps: CacheDeps, store: Store) {
    this.stage = this;
    this.store = store;
    this.maxEntryBytes = config.maxEntryBytes;
    this.maxStaleMs = config.maxStale;
    this.now = deps.now;
    this.mode = deps.mode;
    this.maxWaiters = config.maxWaiters;
    this.rules = compileRules(config.routes);
    this.hasCredentialCookie = compileCookieFilter([...config.ignoreCookies, ...(deps.extraIgnoredCookies ?? [])]);
  }

  run(ctx: RequestContext): StageResult {
    const m = ctx.method;
    if ((m !== 'GET' && m !== 'HEAD') || ctx.upgradeHead !== null) return null;
    const rule = this.rules.get(ctx.routeClass);
    const h = ctx.req.headers;
    if (!rule.store || (!rule.public && (h.authorization !== undefined || this.hasCredentialCookie(h.cookie)))) {
      this.counts.bypassed++;
      return null;
    }
    const attack = this.mode() === 'under_attack';
    if (attack && rule.queryAllowlist !== null) normaliseQuery(ctx, rule.queryAllowlist);
    return this.lookup(ctx, cacheKey(ctx), rule, attack, false);
  }

  stats(): CacheStats {
    const store = this.store;
    return {
      ...this.counts,
      bytes: store.bytes(),
      maxBytes: store.maxBytes,
      entries: store.entries,
      evictions: store.evictions,
      pendingFills: this.pending.size,
    };
  }

  settle(fill: Fill, e: Entry | null): void {
    if (this.pending.get(fill.key) === fill) this.pending.delete(fill.key);
    if (e !== null) {
      this.counts.stored++;
      this.marks.clear(PassMarks.hash(fill.key));
    }
    const w = fill.waiters;
    this.counts.waiting -= w.length;
    for (let i = 0; i < w.length; i++) w[i](e);
  }

  serveStale(ctx: RequestContext, e: Entry): boolean {
    const now = this.now();
    if (now > freshUntil(e) + e.staleMs || ctx.res.headersSent || ctx.res.destroyed) return false;
    this.counts.staleServed++;
    write(ctx, e, STALE, now);
    return true;
  }

  uncacheable(key: string): void {
    this.counts.uncacheable++;
    this.marks.mark(PassMarks.hash(key), this.now());
  }

  private lookup(ctx: RequestContext, key: string, rule: RouteRule, attack: boolean, waited: boolean): StageResult {
    const now = this.now();
    const e = this.store.find(key, ctx.req.headers, now);
    if (e !== null && now < freshUntil(e)) {
      this.counts.hits++;
      write(ctx, e, HIT, now);
      return HIT;
    }
    if (e === null && this.marks.has(PassMarks.hash(key), now)) {
      // Recently uncacheable: no coalescing, each request goes to the origin.
      this.counts.misses++;
      this.counts.passed++;
      return null;
    }
    const fill = this.pending.get(key);
    if (e !== null && fill !== undefined) {
      // Someone is already refreshing this key: within stale-while-revalidate,
      // or under attack on a stale-able route, the others get the old copy now.
      const limit = attack && rule.stale ? usableUntil(e) : freshUntil(e) + e.swrMs;
      if (now <= limit) {
        this.counts.staleServed++;
        write(ctx, e, STALE, now);
        return STALE;
      }
    }
    if (fill !== undefined && !waited && this.counts.waiting < this.maxWaiters) {
      return this.wait(fill, ctx, key, rule, attack, e);
    }
    if (waited && fill !== undefined) {
      if (e !== null) ctx.cacheSink = new StaleSink(this, e);
      return null;
    }
    return this.lead(ctx, key, rule, e);
  }

  /** Coalesces behind the fill in progress: looks up again once it is stored, else goes to the origin. */
  private wait(
    fill: Fill,
    ctx: RequestContext,
    key: string,
    rule: RouteRule,
    attack: boolean,
    e: Entry | null,
  ): Promise<Verdict | null> {
    this.counts.coalesced++;
    this.counts.waiting++;
    return new Promise<Verdict | null>((resolve) => {
      fill.waiters.push((stored) => {
        if (ctx.res.destroyed) {
          resolve(HIT); // the client left while waiting: nothing to send
          return;
        }
        if (stored !== null) {
          resolve(this.lookup(ctx, key, rule, attack, true) as Verdict | null);
          return;
        }
        // The leader's answer was not stored: go to the origin (with a stale fallback).
        if (e !== null) ctx.cacheSink = new StaleSink(this, e);
        resolve(null);
      });
    });
  }

  /** This request fetches for everyone: a fill fed by the forwarder and ended from ctx.onDone. */
  private lead(ctx: RequestContext, key: string, rule: RouteRule, stale: Entry | null): null {
    this.counts.misses++;
    if (this.pending.size >= MAX_PENDING || ctx.method !== 'GET') {
      if (stale !== null) ctx.cacheSink = new StaleSink(this, stale);
      return null;
    }
    const fill = new Fill(this, ctx, key, rule, stale);
    this.pending.set(key, fill);
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
}

/** Answers from a stored entry: its headers plus age and the verdict, the body unless HEAD. */
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
