// Query parameter names seen lately: a site's links and forms repeat theirs,
// however they combine them (a faceted search's `color`, `size`, `sort`…);
// a cache-busting tool's random names (`?x8fj2`, HULK's `?kQzPa=…`) never
// repeat. Two generations of a 2^18-bit set of name hashes, turned every
// 10 s, so "new" means "not seen in the last 10–20 s". At a start every name
// is new: the site's few names are learned in its first second, while a
// tool's stay new second after second (composition.ts wants three in a row).
// Memory: 64 KiB, whatever the traffic. Hot path: one hash per name (the
// first 8 of a query), one bit read and write each, no allocation. While a
// mitigation matches on these names (policy, request time), peek() reads the
// book without marking; every request's names are learned, refused or not (a
// name only refused would stay refused: after a restart the book is empty,
// and a person's `?q=` would be challenged for as long as the mitigation
// lasts). A book with under two seconds of traffic calls nothing novel to
// peek(): an adopted mitigation meets a site's names only once they are known.
import { queryNameHashes } from '../core/hash.js';
import { SeenSources } from './seen-sources.js';

const SCRATCH = new Uint32Array(8);
/** Ticks of traffic before peek() calls a name novel: a site's usual names are learned within them. */
const YOUNG_TICKS = 2;

export class QueryNames {
  private readonly seen = new SeenSources(10_000, 18);
  /** Ticks since the first name was learned (-1: none yet); peek() answers once YOUNG_TICKS have passed. */
  private age = -1;

  /** True when the query carries a parameter name not seen in the last 10–20 s. */
  novel(q: string): boolean {
    const k = queryNameHashes(q, SCRATCH);
    let novel = false;
    for (let i = 0; i < k; i++) if (this.seen.visit(SCRATCH[i])) novel = true;
    if (k > 0 && this.age < 0) this.age = 0;
    return novel;
  }

  /** True when the query carries a parameter name not seen in the last 10–20 s; marks nothing. False while the book is young. */
  peek(q: string): boolean {
    if (this.age < YOUNG_TICKS) return false;
    const k = queryNameHashes(q, SCRATCH);
    for (let i = 0; i < k; i++) if (!this.seen.has(SCRATCH[i])) return true;
    return false;
  }

  /** Called once a second (`now`, ms): starts a new generation when the current one is 10 s old. */
  tick(now: number): void {
    this.seen.tick(now);
    if (this.age >= 0 && this.age < YOUNG_TICKS) this.age++;
  }
}
