// Seeded randomness for drill campaigns: mulberry32 (a 32-bit state PRNG,
// fast, good enough to draw attack parameters, not for cryptography) and the
// few draws the planner needs. Same seed → same sequence on every machine.
// Pure; O(1) per draw, no state beyond one 32-bit integer.

export type Rng = () => number;

/** A PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit integer hash (lowbias32): spreads consecutive inputs evenly. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Integer in [lo, hi], both ends included. */
export const intBetween = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** Log-uniform in [lo, hi): each decade equally likely (20–200 as likely as 2,000–20,000). */
export const logUniform = (r: Rng, lo: number, hi: number): number =>
  Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Picks by weight: `[[value, weight], …]`. */
export function weighted<T>(r: Rng, xs: readonly (readonly [T, number])[]): T {
  const total = xs.reduce((s, x) => s + x[1], 0);
  let u = r() * total;
  for (const [v, w] of xs) if ((u -= w) < 0) return v;
  return xs[xs.length - 1][0];
}

/** `x` rounded to `digits` significant digits (plans read better: 0.137, not 0.13712946). */
export function sig(x: number, digits = 3): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}
