// Proof of work: find a decimal counter such that SHA-256(seed + counter) has
// at least `bits` leading zero bits. The client searches ~2^bits hashes;
// the server checks one hash (~0.7 µs). Not the token that carries the seed (token.ts).
import { createHash, hash as oneShotHash } from 'node:crypto';

/** Counters are decimal digits, at most 15 (below 2^53: exact in JS numbers). */
const COUNTER_RE = /^(0|[1-9][0-9]{0,14})$/;

export function leadingZeroBits(d: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    const b = d[i];
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

function sha256(s: string): Buffer {
  return typeof oneShotHash === 'function'
    ? oneShotHash('sha256', s, 'buffer')
    : createHash('sha256').update(s).digest();
}

/** True when `counter` is a well-formed solution of `seed` at `bits`. */
export function checkSolution(seed: string, counter: string, bits: number): boolean {
  if (!COUNTER_RE.test(counter)) return false;
  return leadingZeroBits(sha256(seed + counter)) >= bits;
}

/** Expected attempts to solve at `bits` (geometric distribution mean). */
export function expectedAttempts(bits: number): number {
  return 2 ** bits;
}

/** Brute-force solver, for tests and benchmarks (what a bot does, in Node). */
export function solve(seed: string, bits: number, limit = 2 ** 32): number {
  for (let c = 0; c < limit; c++) if (leadingZeroBits(sha256(seed + c)) >= bits) return c;
  return -1;
}
