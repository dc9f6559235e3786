// Cache keys and the request checks before a lookup: which requests carry
// credentials (Authorization, or a Cookie other than ignored ones), and the
// under-attack query normalisation that makes random-query cache-busting hit
// one key. Per request: string work proportional to the query/cookie length.
import type { RequestContext } from '../core/model.js';

/**
 * scheme + host + path + query; GET and HEAD share entries (HEAD is served
 * from GET copies). The scheme is keyed because the origin sees it in
 * X-Forwarded-Proto and may build absolute URLs from it (poisoning otherwise).
 */
export function cacheKey(ctx: RequestContext): string {
  const base = `${ctx.proto}://${ctx.host.toLowerCase()}${ctx.path}`;
  return ctx.query === '' ? base : `${base}?${ctx.query}`;
}

/**
 * Keeps only allowlisted query parameters (in their sent order) and rewrites
 * ctx.query and ctx.target, so that the origin sees the canonical URL too.
 */
export function normaliseQuery(ctx: RequestContext, allow: ReadonlySet<string>): void {
  if (ctx.query === '') return;
  const parts = ctx.query.split('&');
  let kept = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === '') continue;
    const eq = p.indexOf('=');
    let name = eq < 0 ? p : p.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      continue; // undecodable name: not in any allowlist
    }
    if (allow.has(name)) kept = kept === '' ? p : `${kept}&${p}`;
  }
  if (kept === ctx.query) return;
  ctx.query = kept;
  ctx.target = kept === '' ? ctx.path : `${ctx.path}?${kept}`;
}

/** Cookie names that do not make a request private. */
export function compileCookieFilter(ignored: readonly string[]): (cookie: string | undefined) => boolean {
  const set = new Set(ignored);
  /** true when the Cookie header holds at least one cookie not in the ignored set. */
  return (cookie) => {
    if (cookie === undefined || cookie === '') return false;
    const parts = cookie.split(';');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      const eq = p.indexOf('=');
      const name = (eq < 0 ? p : p.slice(0, eq)).trim();
      if (name !== '' && !set.has(name)) return true;
    }
    return false;
  };
}
