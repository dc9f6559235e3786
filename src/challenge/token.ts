// The challenge token: a stateless, HMAC-signed blob handed to the browser
// with the interstitial, binding prefix, client tag, a random nonce, the
// difficulty, the route class and issue/expiry times. Nothing is stored until
// it comes back solved. "<base64url body, 47 chars>.<MAC of the body, 22 chars>", body:
// ver u8 | prefix u32 | tag u32 | nonce 12 | bits u8 | route u8 | issued u48 ms | expires u48 ms.
import { MAC_CHARS, type MacRing } from '../core/mac.js';
import { NONCE_BYTES, type NoncePool } from './nonce-pool.js';

const VERSION = 1;
const O_PREFIX = 1;
const O_TAG = 5;
const O_NONCE = 9;
const O_BITS = O_NONCE + NONCE_BYTES;
const O_ROUTE = O_BITS + 1;
const O_ISSUED = O_ROUTE + 1;
const O_EXPIRES = O_ISSUED + 6;
const BODY = O_EXPIRES + 6;
const BODY_CHARS = Math.ceil((BODY * 4) / 3);
const TOKEN_CHARS = BODY_CHARS + 1 + MAC_CHARS;

export interface Issued {
  token: string;
  /** What the client hashes: base64url of the nonce (16 chars, fits one SHA-256 block with the counter). */
  seed: string;
}

/** A token whose signature checked out. Times in ms since the epoch. */
export interface Claims {
  prefixKey: number;
  tag: number;
  bits: number;
  route: number;
  issuedAt: number;
  expiresAt: number;
  seed: string;
  /** The token body's bytes, for the nonce key (nonceKey(raw, NONCE_OFFSET)). */
  raw: Buffer;
}

export const NONCE_OFFSET = O_NONCE;

export interface Tokens {
  issue(prefixKey: number, tag: number, bits: number, route: number, now: number, ttlMs: number): Issued;
  /** Claims of a genuine token (any key in the ring), or null when malformed or forged. Expiry is the caller's check. */
  open(token: string): Claims | null;
}

export function createTokens(ring: MacRing, pool: NoncePool): Tokens {
  return {
    issue(prefixKey, tag, bits, route, now, ttlMs) {
      const b = Buffer.allocUnsafe(BODY);
      b[0] = VERSION;
      b.writeUInt32BE(prefixKey >>> 0, O_PREFIX);
      b.writeUInt32BE(tag >>> 0, O_TAG);
      pool.take(b, O_NONCE);
      b[O_BITS] = bits;
      b[O_ROUTE] = route;
      b.writeUIntBE(now, O_ISSUED, 6);
      b.writeUIntBE(now + ttlMs, O_EXPIRES, 6);
      return {
        token: `${b.toString('base64url')}.${ring.sign(b)}`,
        seed: b.toString('base64url', O_NONCE, O_NONCE + NONCE_BYTES),
      };
    },
    open(token) {
      if (token.length !== TOKEN_CHARS || token.charCodeAt(BODY_CHARS) !== 46 /* . */) return null;
      const b = Buffer.from(token.slice(0, BODY_CHARS), 'base64url');
      if (b.length !== BODY || b[0] !== VERSION) return null;
      if (!ring.verify(b, token, BODY_CHARS + 1)) return null;
      return {
        prefixKey: b.readUInt32BE(O_PREFIX),
        tag: b.readUInt32BE(O_TAG),
        bits: b[O_BITS],
        route: b[O_ROUTE],
        issuedAt: b.readUIntBE(O_ISSUED, 6),
        expiresAt: b.readUIntBE(O_EXPIRES, 6),
        seed: b.toString('base64url', O_NONCE, O_NONCE + NONCE_BYTES),
        raw: b,
      };
    },
  };
}
