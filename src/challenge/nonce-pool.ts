// A pre-filled pool of random bytes for challenge nonces: one randomBytes()
// call per 1024 nonces instead of one per challenge, so issuing stays cheap
// under a flood. Memory: 12 KiB. Not a CSPRNG of its own: bytes come from node:crypto.
import { randomBytes } from 'node:crypto';

export const NONCE_BYTES = 12;
const PER_FILL = 1024;

export interface NoncePool {
  /** Copies a fresh nonce into `target` at `offset`; never hands out the same bytes twice. */
  take(target: Buffer, offset: number): void;
}

export function createNoncePool(): NoncePool {
  let pool = randomBytes(NONCE_BYTES * PER_FILL);
  let at = 0;
  return {
    take(target, offset) {
      if (at === pool.length) {
        pool = randomBytes(NONCE_BYTES * PER_FILL);
        at = 0;
      }
      pool.copy(target, offset, at, at + NONCE_BYTES);
      at += NONCE_BYTES;
    },
  };
}
