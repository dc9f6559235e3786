// The pass: a cookie proving that this browser solved a challenge, bound to
// the client's address prefix and client tag, valid until its expiry.
// value = "<expiry seconds>.<HMAC(prefix|tag|expiry) as 22 base64url chars>".
// Stateless (any node with the keys verifies it); ~1 µs per check: no parsing
// of other cookies, no decoding, one HMAC per key tried. Not the challenge (token.ts).
import { MAC_CHARS, type MacRing } from '../core/mac.js';

export { cookieValue } from '../core/cookie.js';

const EXPIRY_DIGITS = 10; // seconds since the epoch, until 2286

export interface Passes {
  /** Cookie value for a pass that expires at `expirySec` (seconds since epoch). */
  issue(prefixKey: number, tag: number, expirySec: number): string;
  /** True for a genuine, unexpired pass of this prefix and tag. */
  verify(value: string, prefixKey: number, tag: number, nowSec: number): boolean;
}

/** `maxTtlSec`: passes claiming a later expiry are refused, so shortening pass_ttl takes effect at once. */
export function createPasses(ring: MacRing, maxTtlSec: number): Passes {
  // One message buffer reused: everything here is synchronous.
  const msg = Buffer.alloc(12);
  const fill = (prefixKey: number, tag: number, expirySec: number) => {
    msg.writeUInt32BE(prefixKey >>> 0, 0);
    msg.writeUInt32BE(tag >>> 0, 4);
    msg.writeUInt32BE(expirySec >>> 0, 8);
    return msg;
  };
  return {
    issue(prefixKey, tag, expirySec) {
      return `${expirySec >>> 0}.${ring.sign(fill(prefixKey, tag, expirySec))}`;
    },
    verify(value, prefixKey, tag, nowSec) {
      const dot = value.length - MAC_CHARS - 1;
      if (dot < 1 || dot > EXPIRY_DIGITS || value.charCodeAt(dot) !== 46 /* . */ || value.charCodeAt(0) === 48)
        return false;
      let expirySec = 0;
      for (let i = 0; i < dot; i++) {
        const d = value.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return false;
        expirySec = expirySec * 10 + d;
      }
      if (expirySec <= nowSec || expirySec > nowSec + maxTtlSec) return false;
      return ring.verify(fill(prefixKey, tag, expirySec), value, dot + 1);
    },
  };
}
