// Cache-Control parsing for a shared cache (RFC 9111 §5.2): the directives the
// micro-cache acts on, read once per origin response. Not a general HTTP
// header parser. Cost: one pass over the header value, no regex per directive.

export interface CacheControl {
  noStore: boolean;
  /** `private` (also `private="field"`, treated as wholly private: a shared cache must not guess). */
  private: boolean;
  /** `no-cache`: may not be served without revalidation; this cache does not revalidate, so it does not store. */
  noCache: boolean;
  public: boolean;
  /** Seconds, -1 when absent. */
  maxAge: number;
  sMaxAge: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  /** must-revalidate / proxy-revalidate: never serve stale. */
  mustRevalidate: boolean;
}

function seconds(v: string): number {
  const t = v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
  if (!/^\d{1,10}$/.test(t)) return -2; // malformed: RFC 9111 says treat as stale
  return Number(t);
}

/** Parses one or more Cache-Control values (a repeated header is joined by commas). */
export function parseCacheControl(value: string | string[] | undefined): CacheControl {
  const cc: CacheControl = {
    noStore: false,
    private: false,
    noCache: false,
    public: false,
    maxAge: -1,
    sMaxAge: -1,
    staleWhileRevalidate: -1,
    staleIfError: -1,
    mustRevalidate: false,
  };
  if (value === undefined) return cc;
  const text = Array.isArray(value) ? value.join(',') : value;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const arg = eq < 0 ? '' : part.slice(eq + 1).trim();
    switch (name) {
      case 'no-store':
        cc.noStore = true;
        break;
      case 'private':
        cc.private = true;
        break;
      case 'no-cache':
        cc.noCache = true;
        break;
      case 'public':
        cc.public = true;
        break;
      case 'must-revalidate':
      case 'proxy-revalidate':
        cc.mustRevalidate = true;
        break;
      case 'max-age':
        cc.maxAge = seconds(arg);
        break;
      case 's-maxage':
        cc.sMaxAge = seconds(arg);
        break;
      case 'stale-while-revalidate':
        cc.staleWhileRevalidate = Math.max(-1, seconds(arg));
        break;
      case 'stale-if-error':
        cc.staleIfError = Math.max(-1, seconds(arg));
        break;
    }
  }
  return cc;
}

/**
 * Freshness lifetime in ms for a shared cache: s-maxage, else max-age, else
 * `defaultTtl` (the route's operator-chosen default). -1: do not store.
 */
export function freshnessMs(cc: CacheControl, defaultTtl: number): number {
  if (cc.noStore || cc.private || cc.noCache) return -1;
  if (cc.sMaxAge === -2 || (cc.sMaxAge < 0 && cc.maxAge === -2)) return -1;
  if (cc.sMaxAge >= 0) return cc.sMaxAge * 1000;
  if (cc.maxAge >= 0) return cc.maxAge * 1000;
  return defaultTtl > 0 ? defaultTtl : -1;
}
