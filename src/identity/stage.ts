// The identity stage: client address (trusted-proxy aware), its 32-bit keys,
// the request fingerprint, the forwarded protocol and, with geo, country/ASN;
// the user-agent family after the browser check against the connection's
// TLS/HTTP2 fingerprints (src/identity/transport.ts) and their key.
// Synchronous, O(headers); geo adds one LRU probe (~20 ns), and a database
// lookup (~1 µs) only the first time a client key is seen (src/identity/geo.ts).
import { compileCidrSet, type CidrSet } from '../core/cidr-set.js';
import { clientKeyOf, prefixKeyOf } from '../core/ip.js';
import type { RequestContext, Stage } from '../core/model.js';
import { clientIpOf } from './client-ip.js';
import { fingerprintOf, uaFamily } from './fingerprint.js';
import { checkedFamily } from './transport.js';
import type { Geo } from './geo.js';

export interface IdentityOptions {
  trustedProxies: readonly string[];
  /** Country/ASN lookup (src/identity/geo.ts); null or absent: ctx.country and ctx.asn stay empty. */
  geo?: Geo | null;
  /** Check browser claims against the connection's TLS/HTTP2 fingerprints (fingerprints.check_browser_claims). Default true. */
  checkClaims?: boolean;
}

export interface Identity extends Stage {
  readonly trusted: CidrSet;
  /** True when the TCP peer is a trusted proxy (its forwarding headers are believed). */
  peerTrusted(ctx: RequestContext): boolean;
}

export function compileIdentity(opts: IdentityOptions): Identity {
  const trusted = compileCidrSet(opts.trustedProxies);
  const peerTrusted = (ctx: RequestContext) => trusted.size > 0 && trusted.has(ctx.peerIp);
  const geo = opts.geo ?? null;
  const checkClaims = opts.checkClaims ?? true;
  return {
    name: 'identity',
    trusted,
    peerTrusted,
    run(ctx) {
      const hd = ctx.req.headers;
      const ip = clientIpOf(ctx.peerIp, hd['x-forwarded-for'], trusted);
      ctx.clientIp = ip;
      ctx.clientKey = clientKeyOf(ip);
      ctx.prefixKey = prefixKeyOf(ip);
      const claimed = uaFamily(hd['user-agent']);
      const t = ctx.transport;
      ctx.agent = checkClaims ? checkedFamily(claimed, t) : claimed;
      ctx.clientFp = t === null ? 0 : t.key;
      ctx.fingerprint = fingerprintOf(ctx.req, ctx.agent);
      if (geo !== null) geo.fill(ctx);
      if (ip !== ctx.peerIp) {
        const p = hd['x-forwarded-proto'];
        if (p === 'https' || p === 'http') ctx.proto = p;
      }
      return null;
    },
  };
}
