// One origin fetch that may fill the cache (the "leader" of a key), as the
// CacheSink the forwarder streams into, plus its waiters: identical requests
// that arrived meanwhile and are answered from the stored copy (coalescing).
// Memory: the body is held in chunks reserved against the store's byte cap.
import type { CacheSink, RequestContext } from '../core/model.js';
import { freshnessMs, parseCacheControl } from './cache-control.js';
import type { RouteRule } from './rules.js';
import { entrySize, headerText, type Entry, type Store } from './store.js';
import { HOP_BY_HOP } from '../core/hop-by-hop.js';

type Headers = Record<string, string | string[] | undefined>;

/** What a fill needs from the cache around it. */
export interface FillHost {
  readonly store: Store;
  readonly maxEntryBytes: number;
  readonly maxStaleMs: number;
  now(): number;
  /** Removes the fill from the pending map and wakes its waiters with the stored entry or null. */
  settle(fill: Fill, entry: Entry | null): void;
  /** Serves `e` as stale to ctx; true when written. */
  serveStale(ctx: RequestContext, e: Entry): boolean;
  /** The origin's answer for `key` cannot be stored. */
  uncacheable(key: string): void;
}

// Hop-by-hop and per-response headers never stored (the proxy strips the same hop-by-hop set).
const NOT_STORED = new Set([...HOP_BY_HOP, 'content-length', 'age', 'rampart-verdict']);
const CACHEABLE_STATUS = new Set([200, 203, 204, 300, 301, 308, 404, 410]);

export class Fill implements CacheSink {
  readonly key: string;
  /** Requests waiting for this fill (resolved by the host's settle). */
  readonly waiters: Array<(e: Entry | null) => void> = [];
  private readonly host: FillHost;
  private readonly ctx: RequestContext;
  private readonly rule: RouteRule;
  /** A stored copy past freshness, served if the origin fails. */
  private readonly stale: Entry | null;
  private state: 'idle' | 'filling' | 'settled' = 'idle';
  private chunks: Buffer[] = [];
  private bytes = 0;
  private status = 0;
  private headers: string[] = [];
  private varyNames: string[] | null = null;
  private freshMs = 0;
  private swrMs = 0;
  private staleMs = 0;
  private ageMs = 0;

  constructor(host: FillHost, ctx: RequestContext, key: string, rule: RouteRule, stale: Entry | null) {
    this.host = host;
    this.ctx = ctx;
    this.key = key;
    this.rule = rule;
    this.stale = stale;
  }

  start(status: number, headers: Headers): boolean {
    if (this.state !== 'idle') return false;
    if (!this.storable(status, headers)) {
      this.host.uncacheable(this.key);
      this.settle(null);
      return false;
    }
    this.state = 'filling';
    return true;
  }

  private storable(status: number, headers: Headers): boolean {
    if (this.ctx.method !== 'GET' || !CACHEABLE_STATUS.has(status)) return false;
    if (headers['set-cookie'] !== undefined && !this.rule.public) return false;
    const vary = headers.vary;
    const varyText = Array.isArray(vary) ? vary.join(',') : vary;
    if (varyText !== undefined && varyText.trim() !== '') {
      const names = varyText
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '');
      if (names.includes('*')) return false;
      this.varyNames = names;
    }
    const cc = parseCacheControl(headers['cache-control']);
    const fresh = freshnessMs(cc, this.rule.defaultTtl);
    if (fresh < 0) return false;
    const len = Number(headers['content-length']);
    if (len > this.host.maxEntryBytes) return false;
    this.status = status;
    this.freshMs = fresh;
    this.swrMs = cc.staleWhileRevalidate > 0 && !cc.mustRevalidate ? cc.staleWhileRevalidate * 1000 : 0;
    this.staleMs = cc.mustRevalidate
      ? 0
      : Math.max(this.host.maxStaleMs, cc.staleIfError > 0 ? cc.staleIfError * 1000 : 0);
    const age = Number(headers.age);
    this.ageMs = Number.isFinite(age) && age > 0 ? age * 1000 : 0;
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined || NOT_STORED.has(name) || name === 'set-cookie') continue;
      if (typeof v === 'string') this.headers.push(name, v);
      else for (let j = 0; j < v.length; j++) this.headers.push(name, v[j]);
    }
    return true;
  }

  data(chunk: Buffer): void {
    if (this.state !== 'filling') return;
    if (this.bytes + chunk.length > this.host.maxEntryBytes || !this.host.store.reserve(chunk.length)) {
      this.drop();
      return;
    }
    this.bytes += chunk.length;
    this.chunks.push(chunk);
  }

  end(): void {
    if (this.state !== 'filling') return;
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.bytes);
    const headers = this.headers;
    headers.push('content-length', String(body.length));
    const req = this.ctx.req.headers;
    const names = this.varyNames;
    const e: Entry = {
      key: this.key,
      varyNames: names,
      varyValues: names === null ? [] : names.map((n) => headerText(req[n])),
      status: this.status,
      headers,
      body,
      storedAt: this.host.now(),
      ageAtStore: this.ageMs,
      freshMs: this.freshMs,
      swrMs: this.swrMs,
      staleMs: this.staleMs,
      size: entrySize(this.key, headers, body),
    };
    const reserved = this.bytes;
    this.bytes = 0;
    this.chunks = [];
    this.settle(this.host.store.put(e, reserved) ? e : null);
  }

  abort(): void {
    this.drop();
  }

  serveStale(ctx: RequestContext): boolean {
    const e = this.stale;
    return e !== null && this.host.serveStale(ctx, e);
  }

  /** ctx.onDone of the leader: a fill that never ended (shed, refused, client gone) wakes its waiters. */
  readonly done = (): void => {
    if (this.state !== 'settled') this.drop();
  };

  private drop(): void {
    if (this.bytes > 0) this.host.store.release(this.bytes);
    this.bytes = 0;
    this.chunks = [];
    this.settle(null);
  }

  private settle(e: Entry | null): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.host.settle(this, e);
  }
}
