// The identity stage: client address (trusted-proxy aware), its 32-bit keys,
// the request fingerprint, the forwarded protocol and, with geo, country/ASN.
// Synchronous, O(headers); geo adds one LRU probe (~20 ns), and a database
// lookup (~1 µs) only the first time a client key is seen (src/identity/geo.ts).
import { compileCidrSet, type CidrSet } from '../core/cidr-set.js';
import { clientKeyOf, prefixKeyOf } from '../core/ip.js';
import type { RequestContext, Stage } from '../core/model.js';
import { clientIpOf } from './client-ip.js';
import { fingerprintOf } from './fingerprint.js';
import type { Geo } from './geo.js';

export interface IdentityOptions {
  trustedProxies: readonly string[];
  /** Country/ASN lookup (src/identity/geo.ts); null or absent: ctx.country and ctx.asn stay empty. */
  geo?: Geo | null;
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
      ctx.fingerprint = fingerprintOf(ctx.req);
      if (geo !== null) geo.fill(ctx);
      if (ip !== ctx.peerIp) {
        const p = hd['x-forwarded-proto'];
        if (p === 'https' || p === 'http') ctx.proto = p;
      }
      return null;
    },
  };
}
