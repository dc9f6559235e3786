// Single-use store of solved challenge nonces, so one solution buys one pass.
// Keys are the first 48 bits of the random nonce (a collision needs ~2^24
// live entries), values their expiry. Bounded: at most `capacity` entries
// (default 65,536 ≈ 4–5 MB of Map entries); expired ones are dropped from the
// oldest end as new ones arrive. When full the oldest live entry is evicted:
// its solution could then be replayed until it expires, which only repeats a
// pass the attacker already paid for (same prefix, same client tag) — cheaper
// for them to solve again than to flood the store. Per node: a replay on
// another node is not seen (challenges expire in minutes; passes are bound anyway).

export interface NonceStore {
  /** True the first time a key is claimed (before its expiry), false on replay. */
  claim(key: number, expiresAt: number, now: number): boolean;
  readonly size: number;
  /** Entries evicted while still live: a sign that capacity is too small. */
  readonly evictedLive: number;
}

export function createNonceStore(capacity = 65_536): NonceStore {
  const seen = new Map<number, number>();
  let evictedLive = 0;
  function dropOldest(now: number, max: number): void {
    for (let i = 0; i < max; i++) {
      const first = seen.entries().next();
      if (first.done) return;
      const [k, exp] = first.value;
      if (exp > now && seen.size < capacity) return;
      if (exp > now) evictedLive++;
      seen.delete(k);
    }
  }
  return {
    claim(key, expiresAt, now) {
      const exp = seen.get(key);
      if (exp !== undefined && exp > now) return false;
      if (exp !== undefined) seen.delete(key);
      dropOldest(now, 4); // amortised cleanup: a few per claim, O(1)
      seen.set(key, expiresAt);
      return true;
    },
    get size() {
      return seen.size;
    },
    get evictedLive() {
      return evictedLive;
    },
  };
}

/** The store key of a nonce: its first 48 bits as a number. */
export function nonceKey(buf: Buffer, offset: number): number {
  return buf.readUIntBE(offset, 6);
}
