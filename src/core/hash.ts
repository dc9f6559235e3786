// 32-bit hashes for sketches: FNV-1a over a string (no allocation, charCodeAt
// loop) and the murmur3 finalizer to spread uint32 keys (IPv4 addresses are
// far from uniform). Not cryptographic: an attacker can craft collisions, so
// sketches built on these only ever over-count (never hide) a colliding key.
// Cost: O(length of the string); zero allocation.

export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a of `s[from, to)` folded into `h` (start with FNV_OFFSET). */
export function fnv1a(s: string, h = FNV_OFFSET, from = 0, to = s.length): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
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
      if (inValue) h = Math.imul(h ^ (cls * 8 + (len > 32 ? 7 : 32 - Math.clz32(len))), 0x01000193);
      h = Math.imul(h ^ 38, 0x01000193);
      inValue = false;
      len = 0;
      cls = 0;
    } else if (inValue) {
      len++;
      const d = c >= 48 && c <= 57 ? 1 : (c >= 97 && c <= 102) || (c >= 65 && c <= 70) ? 2 : 4;
      cls |= d;
    } else if (c === 61 /* = */) inValue = true;
    else h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}
