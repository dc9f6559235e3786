// Judges a returned challenge: signature (any key), binding to this client's
// prefix and tag, expiry, the proof of work (or, for the no-JS check, the
// minimum wait), then single use. Synchronous: one HMAC, one SHA-256, one
// Map lookup. Pure apart from claiming the nonce in the store.
import { checkSolution } from './pow.js';
import { nonceKey, type NonceStore } from './nonce-store.js';
import { NONCE_OFFSET, type Claims, type Tokens } from './token.js';
import type { Outcome } from './metrics.js';

export interface Judgement {
  outcome: Outcome;
  /** Present when the token was genuine (for solve time and route stats). */
  claims: Claims | null;
}

export interface Submission {
  token: string;
  /** Decimal counter; ignored when `minWaitMs` is set (no-JS check). */
  counter: string;
  prefixKey: number;
  tag: number;
  now: number;
  /** No-JS check: the token must be at least this old instead of solved. 0 = proof of work. */
  minWaitMs: number;
}

export function judge(tokens: Tokens, store: NonceStore, sub: Submission): Judgement {
  const claims = tokens.open(sub.token);
  if (claims === null) return { outcome: 'failed', claims };
  if (claims.prefixKey !== sub.prefixKey >>> 0 || claims.tag !== sub.tag >>> 0) return { outcome: 'failed', claims };
  if (sub.now >= claims.expiresAt) return { outcome: 'expired', claims };
  const ok =
    sub.minWaitMs > 0
      ? sub.now - claims.issuedAt >= sub.minWaitMs
      : checkSolution(claims.seed, sub.counter, claims.bits);
  if (!ok) return { outcome: 'failed', claims };
  if (!store.claim(nonceKey(claims.raw, NONCE_OFFSET), claims.expiresAt, sub.now))
    return { outcome: 'replayed', claims };
  return { outcome: 'solved', claims };
}
