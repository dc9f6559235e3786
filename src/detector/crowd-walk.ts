// Identifier walks spread over a crowd: thousands of sources, each asking a
// few records of one path template, together in sequence (ids n, n+1, n+2…
// handed out round-robin), stay far under the per-client watch
// (templates.ts, 30 identifiers a client). Per template, across all clients,
// each process keeps the numeric values of the identifiers asked lately (a
// decimal id, or the last 12 hex digits of a hex id or UUID, modulo 8,192
// bits; two maps, the older one dropped after 10 s or once the newer holds
// 256 ids) and counts, per second, identifiers not asked lately ("fresh")
// and fresh ones with a neighbour on one side only (one of n-1…n-8 asked
// lately and none of n+1…n+8: "up"; the mirror: "down"). A sequential crowd
// asks nearly every id once, just after the ones below (up; eight below,
// because each process sees only its share of a walk: one of 2 workers has
// one of the eight 99.6 % of the time, one of 8 workers 66 %); people reading
// records of a large space rarely have a neighbour at all (about 4 ×
// density); readers of a dense range (the last 2,000 articles) have
// neighbours on both sides as often as on one (one side alone: at most
// 25 % whatever the density); readers of a few hot records ask the same
// ones again (not fresh). The detector judges five seconds of counts
// (CrowdJudge): ≥ 100 fresh, ≥ 50 % of them up (or down), or ≥ 30 with
// ≥ 75 % (a binomial tail under 1e-8 for readers at 25 %), fresh ≥ half of
// the asks, from ≥ 20 clients a second (fewer are walkers the per-client
// watch bans).
// Memory: 32 templates × 2.1 KiB of maps per process. Per request with an
// identifier: a scan of 32 slots and four bit probes, no allocation.
import { mix32, popcount } from '../core/hash.js';

/** One template's counts of one second in one process (exported in window parts). */
export interface CrowdCount {
  template: number;
  /** An example path of the template (for its label). */
  path: string;
  ids: number;
  fresh: number;
  /** Fresh ones with a neighbour below (n-1…n-8) asked lately and none above. */
  up: number;
  /** Fresh ones with a neighbour above and none below. */
  down: number;
  /** Distinct clients that asked (linear counting over 512 bits: saturates near 3,000). */
  sources: number;
}

/** A template walked by a crowd, with the figures behind the claim (five seconds). */
export interface CrowdFinding {
  template: number;
  path: string;
  ids: number;
  fresh: number;
  /** Fresh ones in the walk's direction (up or down, whichever is more). */
  near: number;
  /** Distinct clients a second that asked, on average over the seconds with asks. */
  sources: number;
}

const SLOTS = 32;
const BITS = 8192;
const WORDS = BITS / 32;
/** At most 512 ids remembered in 8,192 bits: random ids in a large space have a neighbour ±1/±2 by chance ≤ 23 %. */
const ROTATE_FILL = BITS / 32;
const ROTATE_S = 10;
/** Seconds of counts judged together. */
export const CROWD_WINDOW_S = 5;
/** Fresh identifiers within the window that can make a crowd walk… */
export const CROWD_MIN_FRESH = 100;
/** …with this share of them next to one asked lately, on the walk's side only (readers: ≤ 25 %). */
export const CROWD_NEAR_SHARE = 0.5;
/** Fewer fresh ones will do when nearly all are in sequence (a walk's first second through a shield just started). */
const FEW_FRESH = 30;
const FEW_NEAR_SHARE = 0.75;
/** Share of the asks that were fresh (readers of hot records repeat them). */
export const CROWD_FRESH_SHARE = 0.5;
/** Distinct clients a second that make it a crowd: fewer are walkers of their own (templates.ts bans them). */
export const CROWD_MIN_SOURCES = 20;
/** How far a neighbour is looked for on each side. */
const REACH = 8;
const SRC_BITS = 512;
const SRC_WORDS = SRC_BITS / 32;
/** Figures a second in the judge's ring: asks, fresh, up, down, clients. */
const F = 5;

export class CrowdWalks {
  private readonly templates = new Uint32Array(SLOTS);
  private readonly used = new Uint8Array(SLOTS);
  private readonly lastS = new Uint32Array(SLOTS);
  private readonly epochS = new Uint32Array(SLOTS);
  private readonly fill = new Uint16Array(SLOTS);
  private readonly ids = new Uint32Array(SLOTS);
  private readonly fresh = new Uint32Array(SLOTS);
  private readonly up = new Uint32Array(SLOTS);
  private readonly down = new Uint32Array(SLOTS);
  private readonly paths: string[] = new Array<string>(SLOTS).fill('');
  private readonly cur = new Uint32Array(SLOTS * WORDS);
  private readonly prev = new Uint32Array(SLOTS * WORDS);
  private readonly clients = new Uint32Array(SLOTS * SRC_WORDS);

  /** One request whose path has an identifier of numeric value `num` (≥ 0) under `template`. */
  observe(template: number, num: number, clientKey: number, path: string, nowS: number): void {
    const i = this.slotOf(template, path, nowS);
    const c = mix32(clientKey) & (SRC_BITS - 1);
    this.clients[i * SRC_WORDS + (c >>> 5)] |= 1 << (c & 31);
    if (nowS - this.epochS[i] >= ROTATE_S || this.fill[i] >= ROTATE_FILL) this.rotate(i, nowS);
    this.lastS[i] = nowS;
    this.ids[i]++;
    const b = num % BITS;
    const base = i * WORDS;
    if (this.has(this.cur, base, b)) return;
    if (!this.has(this.prev, base, b)) {
      this.fresh[i]++;
      let below = false;
      let above = false;
      for (let k = 1; k <= REACH; k++) {
        below ||= this.asked(base, b - k);
        above ||= this.asked(base, b + k);
      }
      if (below && !above) this.up[i]++;
      else if (above && !below) this.down[i]++;
    }
    this.cur[base + (b >>> 5)] |= 1 << (b & 31);
    this.fill[i]++;
  }

  /** The counts of the second that closed, per template with asks (resets them). */
  drain(): CrowdCount[] {
    const out: CrowdCount[] = [];
    for (let i = 0; i < SLOTS; i++) {
      if (this.ids[i] === 0) continue;
      out.push({
        template: this.templates[i],
        path: this.paths[i],
        ids: this.ids[i],
        fresh: this.fresh[i],
        up: this.up[i],
        down: this.down[i],
        sources: this.distinctClients(i),
      });
      this.ids[i] = this.fresh[i] = this.up[i] = this.down[i] = 0;
      this.clients.fill(0, i * SRC_WORDS, (i + 1) * SRC_WORDS);
    }
    return out;
  }

  /** The template's slot; a new template takes the slot asked least recently. */
  private slotOf(template: number, path: string, nowS: number): number {
    let lru = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (this.used[i] === 1 && this.templates[i] === template) return i;
      if (this.used[i] === 0 || (this.used[lru] === 1 && this.lastS[i] < this.lastS[lru])) lru = i;
    }
    const i = lru;
    this.used[i] = 1;
    this.templates[i] = template;
    this.paths[i] = path.length > 256 ? path.slice(0, 256) : path;
    this.ids[i] = this.fresh[i] = this.up[i] = this.down[i] = 0;
    this.clients.fill(0, i * SRC_WORDS, (i + 1) * SRC_WORDS);
    this.cur.fill(0, i * WORDS, (i + 1) * WORDS);
    this.prev.fill(0, i * WORDS, (i + 1) * WORDS);
    this.fill[i] = 0;
    this.epochS[i] = nowS;
    return i;
  }

  private rotate(i: number, nowS: number): void {
    const from = i * WORDS;
    this.prev.set(this.cur.subarray(from, from + WORDS), from);
    this.cur.fill(0, from, from + WORDS);
    this.fill[i] = 0;
    this.epochS[i] = nowS;
  }

  private distinctClients(i: number): number {
    let zeros = 0;
    for (let w = 0; w < SRC_WORDS; w++) zeros += 32 - popcount(this.clients[i * SRC_WORDS + w]);
    return zeros === 0 ? Math.round(SRC_BITS * Math.log(SRC_BITS)) : Math.round(-SRC_BITS * Math.log(zeros / SRC_BITS));
  }

  private has(map: Uint32Array, base: number, b: number): boolean {
    return (map[base + (b >>> 5)] & (1 << (b & 31))) !== 0;
  }

  private asked(base: number, b: number): boolean {
    if (b < 0 || b >= BITS) return false;
    return this.has(this.cur, base, b) || this.has(this.prev, base, b);
  }
}

/**
 * The detector's side: five seconds of counts per template (the processes'
 * parts summed), and the templates they show walked by a crowd. Bounded: 64
 * templates; once a second.
 */
export class CrowdJudge {
  private readonly seen = new Map<number, { path: string; at: number; s: Float64Array }>();
  private second = 0;

  /** Adds the closed second's counts (every process's) and returns the templates walked over the last five seconds. */
  step(counts: readonly CrowdCount[]): CrowdFinding[] {
    this.second++;
    const slot = this.second % CROWD_WINDOW_S;
    for (const [t, e] of this.seen) {
      if (this.second - e.at >= CROWD_WINDOW_S) this.seen.delete(t);
      else e.s.fill(0, slot * F, slot * F + F);
    }
    for (const c of counts) {
      let e = this.seen.get(c.template);
      if (e === undefined) {
        if (this.seen.size >= 64) continue;
        e = { path: c.path, at: this.second, s: new Float64Array(CROWD_WINDOW_S * F) };
        this.seen.set(c.template, e);
      }
      e.at = this.second;
      e.s[slot * F] += c.ids;
      e.s[slot * F + 1] += c.fresh;
      e.s[slot * F + 2] += c.up;
      e.s[slot * F + 3] += c.down;
      e.s[slot * F + 4] += c.sources; // processes' clients summed: one client on two workers counts twice
    }
    const out: CrowdFinding[] = [];
    for (const [template, e] of this.seen) {
      let ids = 0;
      let fresh = 0;
      let up = 0;
      let down = 0;
      let sources = 0;
      let seconds = 0;
      for (let k = 0; k < CROWD_WINDOW_S; k++) {
        ids += e.s[k * F];
        fresh += e.s[k * F + 1];
        up += e.s[k * F + 2];
        down += e.s[k * F + 3];
        sources += e.s[k * F + 4];
        if (e.s[k * F] > 0) seconds++;
      }
      sources = Math.round(sources / Math.max(1, seconds));
      const near = Math.max(up, down);
      const sequential =
        (fresh >= CROWD_MIN_FRESH && near >= CROWD_NEAR_SHARE * fresh) ||
        (fresh >= FEW_FRESH && near >= FEW_NEAR_SHARE * fresh);
      if (sequential && fresh >= CROWD_FRESH_SHARE * ids && sources >= CROWD_MIN_SOURCES)
        out.push({ template, path: e.path, ids, fresh, near, sources });
    }
    return out;
  }
}

/** True when `x` is a well-formed CrowdCount (a part from another process or node). */
export function isCrowdCount(x: unknown): boolean {
  const c = x as CrowdCount;
  return (
    c !== null &&
    typeof c === 'object' &&
    typeof c.template === 'number' &&
    typeof c.path === 'string' &&
    c.path.length <= 2048 &&
    Number.isFinite(c.ids) &&
    Number.isFinite(c.fresh) &&
    Number.isFinite(c.up) &&
    Number.isFinite(c.down) &&
    Number.isFinite(c.sources)
  );
}
