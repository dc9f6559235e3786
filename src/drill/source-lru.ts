// Attack sources' connection pools, open only while used: a bounded LRU of
// pools keyed by source index. Past `max` open pools the least recently used
// one is closed gracefully (its request in flight finishes first) and reopened
// when that source sends again, as a bot that reconnects would. So 20,000
// sources never mean 20,000 sockets: open sockets ≤ max × connections per
// source + those of pools still finishing their last request.
import type { Source } from './client.js';

export interface SourceLru {
  get(i: number): Source;
  /** Pools open now. */
  open(): number;
  stats(): { peakOpen: number; evicted: number; opened: number };
  /** Destroys every pool, open or still closing. */
  closeAll(): Promise<void>;
}

export function createSourceLru(max: number, make: (i: number) => Source): SourceLru {
  if (!(max >= 1)) throw new RangeError(`max open sources must be ≥ 1, got ${max}`);
  const open = new Map<number, Source>();
  const closing = new Set<Source>();
  let peakOpen = 0;
  let evicted = 0;
  let opened = 0;
  return {
    get(i) {
      let s = open.get(i);
      if (s !== undefined) {
        // Map order is insertion order: re-insert to mark it most recently used.
        open.delete(i);
        open.set(i, s);
        return s;
      }
      if (open.size >= max) {
        const [oldest, pool] = open.entries().next().value!;
        open.delete(oldest);
        evicted++;
        closing.add(pool);
        void pool.close(true).finally(() => closing.delete(pool));
      }
      s = make(i);
      opened++;
      open.set(i, s);
      if (open.size > peakOpen) peakOpen = open.size;
      return s;
    },
    open: () => open.size,
    stats: () => ({ peakOpen, evicted, opened }),
    async closeAll() {
      const all = [...open.values(), ...closing];
      open.clear();
      closing.clear();
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
