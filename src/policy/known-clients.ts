// "Was this client already browsing before the mitigation?": clients that
// passed policy while no detector mitigation was active, kept in three
// generations of a 2^20-bit set rotated every 5 s and frozen while any
// mitigation is live. Known = seen in the oldest generation, which closed at
// least 5 s before the freeze: the sources of an attack's first seconds never
// qualify. A set bit may be a collision (rare false "known"). Not a ban list,
// not shared across processes. Memory: 3 × 128 KiB. Hot path: one read or write.
import { mix32 } from '../core/hash.js';

const BITS = 20;
const WORDS = (1 << BITS) >>> 5;
export const GENERATION_MS = 5_000;

export class KnownClients {
  private cur = new Uint32Array(WORDS);
  private prev = new Uint32Array(WORDS);
  private old = new Uint32Array(WORDS);
  private rotatedAt = -1;

  /** A client passed policy with no mitigation live (only then: attack sources seen during one never become known). */
  mark(key: number, now: number): void {
    if (this.rotatedAt < 0) this.rotatedAt = now;
    else if (now - this.rotatedAt >= GENERATION_MS) this.rotate(now);
    const h = mix32(key) >>> (32 - BITS);
    this.cur[h >>> 5] |= 1 << (h & 31);
  }

  /** Seen in a generation that closed at least GENERATION_MS before the last mark (the freeze). */
  known(key: number): boolean {
    const h = mix32(key) >>> (32 - BITS);
    return (this.old[h >>> 5] & (1 << (h & 31))) !== 0;
  }

  private rotate(now: number): void {
    const o = this.old;
    const p = this.prev;
    if (now - this.rotatedAt >= 2 * GENERATION_MS) {
      // Marks paused (a mitigation was live): what was seen just before is now old enough.
      this.old = this.cur;
      this.prev = o.fill(0);
      this.cur = p.fill(0);
    } else {
      this.old = p;
      this.prev = this.cur;
      this.cur = o.fill(0);
    }
    this.rotatedAt = now;
  }
}
