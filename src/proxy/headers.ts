// Header hygiene both ways: strips hop-by-hop headers and every header named
// in Connection, drops client-sent forwarding headers unless the peer is a
// trusted proxy, and sets X-Forwarded-For/-Proto/-Host. One pass, flat arrays.
import type { RequestContext } from '../core/model.js';
import { HOP_BY_HOP } from '../core/hop-by-hop.js';

/** Stripped both ways, with every header the Connection header names. */
const STRIPPED = new Set([...HOP_BY_HOP, 'proxy-authorization', 'http2-settings', 'expect', 'host']);
const FORWARDING = new Set(['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip']);

/** Lower-case tokens of a Connection header, or null when there are none beyond keep-alive/close. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (!value) return null;
  // Nearly every request says just "keep-alive" or "close": no split, no allocation.
  if (typeof value === 'string' && value.length <= 10) {
    const l = value.toLowerCase();
    if (l === 'keep-alive' || l === 'close') return null;
  }
  const text = Array.isArray(value) ? value.join(',') : value;
  let set: Set<string> | null = null;
  for (const raw of text.split(',')) {
    const t = raw.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') (set ??= new Set()).add(t);
  }
  return set;
}

/**
 * Request headers for the origin as a flat [name, value, …] list.
 * `trusted`: the TCP peer is in trusted_proxies, so its forwarding headers are kept and extended.
 */
export function upstreamRequestHeaders(ctx: RequestContext, trusted: boolean, upgrade: boolean): string[] {
  const raw = ctx.req.rawHeaders;
  const extra = connectionTokens(ctx.req.headers.connection);
  const out: string[] = ['host', ctx.host];
  let xff = '';
  let xfp = '';
  let xfh = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name.charCodeAt(0) === 58 /* ':' h2 pseudo-header */) continue;
    if (STRIPPED.has(name) || extra?.has(name) || name.startsWith('rampart-')) continue;
    if (FORWARDING.has(name)) {
      if (!trusted) continue;
      if (name === 'x-forwarded-for') xff = xff ? `${xff}, ${raw[i + 1]}` : raw[i + 1];
      else if (name === 'x-forwarded-proto') xfp = raw[i + 1];
      else if (name === 'x-forwarded-host') xfh = raw[i + 1];
      else out.push(name, raw[i + 1]);
      continue;
    }
    out.push(name, raw[i + 1]);
  }
  if (upgrade) out.push('connection', 'upgrade', 'upgrade', String(ctx.req.headers.upgrade));
  out.push(
    'x-forwarded-for',
    xff ? `${xff}, ${ctx.peerIp}` : ctx.peerIp,
    'x-forwarded-proto',
    xfp || ctx.proto,
    'x-forwarded-host',
    xfh || ctx.host,
  );
  return out;
}

/** Response headers for the client as a flat list, with `rampart-verdict` added. */
export function downstreamResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  rule: string,
): string[] {
  const extra = connectionTokens(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || STRIPPED.has(name) || extra?.has(name) || name === 'rampart-verdict') continue;
    if (typeof v === 'string') out.push(name, v);
    else for (let j = 0; j < v.length; j++) out.push(name, v[j]);
  }
  out.push('rampart-verdict', rule);
  return out;
}
