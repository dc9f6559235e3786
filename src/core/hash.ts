// 32-bit hashes for sketches and keys: FNV-1a over a string, a range, a char
// code or a uint32 (the one FNV-1a in src/: modules fold with these helpers),
// and the murmur3 finalizer to spread uint32 keys (IPv4 addresses are far
// from uniform). Not cryptographic: an attacker can craft collisions, so
// sketches built on these only ever over-count (never hide) a colliding key.
// Cost: O(length of the string); zero allocation.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/**
 * One FNV-1a step: `c` (a char code or a byte) folded into `h`. Returns a
 * signed int32; fold further or finish with `>>> 0` (XOR and imul read both
 * forms alike, so `h` may be signed or unsigned).
 */
export function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, FNV_PRIME);
}

/** FNV-1a of `s[from, to)` folded into `h` (start with FNV_OFFSET). */
export function fnv1a(s: string, h = FNV_OFFSET, from = 0, to = s.length): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

/**
 * FNV-1a of `s` with 0x20 OR-ed into each char code, folded into `h`: ASCII
 * letters hash alike in either case (so do a few other pairs, '@' and '`',
 * '_' and DEL: fine for header names). Unsigned result.
 */
export function fnv1aCaseless(s: string, h = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ (s.charCodeAt(i) | 0x20), FNV_PRIME);
  return h >>> 0;
}

/** FNV-1a of the 4 bytes of a uint32, least significant first, folded into `h`. Unsigned result. */
export function fnvWord(h: number, w: number): number {
  for (let i = 0; i < 32; i += 8) h = Math.imul(h ^ ((w >>> i) & 255), FNV_PRIME);
  return h >>> 0;
}

/** murmur3 fmix32: a bijective mix of a uint32, for well-spread sketch indexes. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Hash of a query string's shape: the parameter names and the character class
 * of each value (digits, hex, other) and its length bucket, not the value
 * itself. `q=a8f3&page=2` and `q=77c1&page=9` share a shape; a cache-buster's
 * random `?x8fj2=1` parameters do not share one with each other.
 */
export function queryShapeHash(q: string): number {
  let h = FNV_OFFSET;
  let inValue = false;
  let len = 0;
  let cls = 0;
  for (let i = 0; i <= q.length; i++) {
    const c = i < q.length ? q.charCodeAt(i) : 38; /* & */
    if (c === 38) {
      if (inValue) h = fnvStep(h, cls * 8 + (len > 32 ? 7 : 32 - Math.clz32(len)));
      h = fnvStep(h, 38);
      inValue = false;
      len = 0;
      cls = 0;
    } else if (inValue) {
      len++;
      const d = c >= 48 && c <= 57 ? 1 : (c >= 97 && c <= 102) || (c >= 65 && c <= 70) ? 2 : 4;
      cls |= d;
    } else if (c === 61 /* = */) inValue = true;
    else h = fnvStep(h, c);
  }
  return h >>> 0;
}

/** A 32-bit integer hash (lowbias32, Chris Wellons): spreads consecutive indexes evenly (the drill's addresses). */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Hashes of a query string's parameter names, one per name, into `out` (at
 * most `out.length` of them); returns how many. Each run of digits in a name
 * is folded to one: `item3` and `item12` are one name, and so are two
 * timestamps sent as bare keys (`?1701234567`); values are skipped. A site's
 * names repeat however it combines them (`color`, `size`, `sort`…); the random
 * names of a cache-busting tool (`?x8fj2`, `?kQzPa=…`) do not.
 */
export function queryNameHashes(q: string, out: Uint32Array): number {
  let count = 0;
  let h = FNV_OFFSET;
  let inValue = false;
  let digits = false;
  let empty = true;
  for (let i = 0; i <= q.length && count < out.length; i++) {
    const c = i < q.length ? q.charCodeAt(i) : 38; /* & */
    if (c === 38) {
      if (!empty) out[count++] = h >>> 0;
      h = FNV_OFFSET;
      inValue = digits = false;
      empty = true;
    } else if (inValue) continue;
    else if (c === 61 /* = */) inValue = true;
    else {
      empty = false;
      if (c >= 48 && c <= 57) {
        if (!digits) h = fnvStep(h, 35 /* # */);
        digits = true;
      } else {
        h = fnvStep(h, c);
        digits = false;
      }
    }
  }
  return count;
}

/** Set bits of a 32-bit word (linear-counting bitmaps). */
export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}
