// The traffic recorder: a plain observer (one O(1) update per finished request)
// that keeps what the dashboard and /metrics show — per-second series of
// requests by verdict, distinct sources (linear counting), origin latency
// buckets and mode; cumulative counts by verdict × route class; latency
// histograms; top prefixes/ASNs/countries/paths (space-saving, 60 s windows).
// Memory is fixed at construction (~200 KB): a 300-second ring, at most 64
// verdict rules and 32 route classes (more fold into "other"), k=32 per top list.
// Not Prometheus: metrics.ts reads this at scrape time.
import { mix32 } from '../core/hash.js';
import { prefixLabelOf } from '../core/ip.js';
import type { RequestContext } from '../core/model.js';
import { TopK, type TopEntry } from './top-k.js';
import type { SeriesOut, TopOut, TrafficTotals } from './traffic-types.js';

export type { SeriesOut, TopOut, TrafficTotals } from './traffic-types.js';

export const RING_SECONDS = 300;
const MAX_RULES = 64;
const MAX_CLASSES = 32;
const BITMAP_BITS = 4096;
const TOP_K = 32;
const TOP_WINDOW_MS = 60_000;
const TOP_SAMPLE = 4;
/** Latency bucket upper bounds in ms (last is +Inf), shared by series and histograms. */
export const LATENCY_BOUNDS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, Infinity];
const NB = LATENCY_BOUNDS_MS.length;

export interface TrafficOptions {
  now(): number;
  /** Current mode, sampled when a second closes. */
  mode?: () => string;
}

function bucketOf(ms: number): number {
  let i = 0;
  while (ms > LATENCY_BOUNDS_MS[i]) i++;
  return i;
}

export class Traffic {
  private readonly rules: string[] = [];
  private readonly ruleIndex = new Map<string, number>();
  private readonly classes: string[] = [];
  private readonly classIndex = new Map<string, number>();
  private readonly counts = new Float64Array(MAX_RULES * MAX_CLASSES);
  private readonly originBuckets = new Float64Array(NB);
  private readonly totalBuckets = new Float64Array(NB);
  private originSum = 0;
  private originCount = 0;
  private totalSum = 0;
  private totalCount = 0;
  // Per-second ring.
  private readonly secTotal = new Uint32Array(RING_SECONDS);
  private readonly secRule = new Uint32Array(RING_SECONDS * MAX_RULES);
  private readonly secSources = new Uint32Array(RING_SECONDS);
  private readonly secLatency = new Uint32Array(RING_SECONDS * NB);
  private readonly secMode: string[] = new Array<string>(RING_SECONDS).fill('');
  private readonly bitmap = new Uint32Array(BITMAP_BITS / 32);
  private bitsSet = 0;
  /** Epoch second held in the current slot; -1 before any. */
  private cur = -1;
  private readonly tops = {
    prefixes: new TopK<number>(TOP_K),
    asns: new TopK<number>(TOP_K),
    countries: new TopK<string>(TOP_K),
    paths: new TopK<string>(TOP_K),
  };
  private prevTops: TopOut | null = null;
  private topStart = 0;
  private topTick = 0;
  private lastVerdict: RequestContext['verdict'] | null = null;
  private lastRule = 0;
  private lastClass = '';
  private lastClassIndex = 0;

  constructor(private readonly o: TrafficOptions) {
    for (const c of ['static', 'page', 'api', 'login', 'donate', 'sensitive'])
      this.indexOf(this.classes, this.classIndex, c, MAX_CLASSES);
  }

  /** The observer: pass `traffic.observe` to the pipeline. O(1), never throws. */
  readonly observe = (ctx: RequestContext): void => {
    const now = this.o.now();
    this.roll(Math.floor(now / 1000));
    const slot = this.cur % RING_SECONDS;
    // Verdicts are shared frozen objects and route classes interned strings: remember the last lookup.
    if (ctx.verdict !== this.lastVerdict) {
      this.lastVerdict = ctx.verdict;
      this.lastRule = this.indexOf(this.rules, this.ruleIndex, ctx.verdict.rule, MAX_RULES);
    }
    if (ctx.routeClass !== this.lastClass) {
      this.lastClass = ctx.routeClass;
      this.lastClassIndex = this.indexOf(this.classes, this.classIndex, ctx.routeClass, MAX_CLASSES);
    }
    const r = this.lastRule;
    const c = this.lastClassIndex;
    this.counts[r * MAX_CLASSES + c]++;
    this.secTotal[slot]++;
    this.secRule[slot * MAX_RULES + r]++;
    const h = mix32(ctx.clientKey) >>> 20; // 12 bits: one of 4096 (a full mix: linear counting needs random-looking bits)
    const word = h >>> 5;
    const bit = 1 << (h & 31);
    if ((this.bitmap[word] & bit) === 0) {
      this.bitmap[word] |= bit;
      this.bitsSet++;
    }
    const total = now - ctx.startedAt;
    if (total >= 0) {
      this.totalBuckets[bucketOf(total)]++;
      this.totalSum += total;
      this.totalCount++;
    }
    if (ctx.originMs >= 0) {
      const b = bucketOf(ctx.originMs);
      this.originBuckets[b]++;
      this.originSum += ctx.originMs;
      this.originCount++;
      this.secLatency[slot * NB + b]++;
    }
    if (now - this.topStart >= TOP_WINDOW_MS) this.rotateTops(now);
    // Top lists see 1 request in TOP_SAMPLE, counted TOP_SAMPLE times: heavy hitters keep their rank at a quarter of the cost.
    if (++this.topTick < TOP_SAMPLE) return;
    this.topTick = 0;
    if (ctx.prefixKey !== 0) this.tops.prefixes.add(ctx.prefixKey, ctx.clientIp, TOP_SAMPLE);
    if (ctx.asn !== 0) this.tops.asns.add(ctx.asn, '', TOP_SAMPLE);
    if (ctx.country !== '') this.tops.countries.add(ctx.country, ctx.country, TOP_SAMPLE);
    this.tops.paths.add(ctx.path, ctx.path, TOP_SAMPLE);
  };

  private indexOf(names: string[], index: Map<string, number>, name: string, max: number): number {
    const i = index.get(name);
    if (i !== undefined) return i;
    if (names.length >= max - 1) {
      const other = index.get('other');
      if (other !== undefined) return other;
    }
    const n = names.length >= max - 1 ? 'other' : name;
    names.push(n);
    index.set(n, names.length - 1);
    return names.length - 1;
  }

  /** Closes seconds up to `sec`, clearing the slots of skipped seconds. */
  private roll(sec: number): void {
    if (sec <= this.cur) return;
    if (this.cur >= 0) this.closeSecond();
    const from = this.cur < 0 || sec - this.cur > RING_SECONDS ? sec - RING_SECONDS + 1 : this.cur + 1;
    for (let s = from; s <= sec; s++) {
      const slot = ((s % RING_SECONDS) + RING_SECONDS) % RING_SECONDS;
      this.secTotal[slot] = 0;
      this.secSources[slot] = 0;
      this.secRule.fill(0, slot * MAX_RULES, (slot + 1) * MAX_RULES);
      this.secLatency.fill(0, slot * NB, (slot + 1) * NB);
      this.secMode[slot] = s < sec ? (this.o.mode?.() ?? '') : '';
    }
    this.cur = sec;
  }

  private closeSecond(): void {
    const slot = this.cur % RING_SECONDS;
    const zero = BITMAP_BITS - this.bitsSet;
    this.secSources[slot] =
      zero === 0
        ? Math.round(BITMAP_BITS * Math.log(BITMAP_BITS))
        : Math.round(-BITMAP_BITS * Math.log(zero / BITMAP_BITS));
    this.secMode[slot] = this.o.mode?.() ?? '';
    this.bitmap.fill(0);
    this.bitsSet = 0;
  }

  private rotateTops(now: number): void {
    if (this.topStart !== 0) this.prevTops = this.topsOut(this.topStart);
    for (const t of Object.values(this.tops)) t.clear();
    this.topStart = now;
  }

  private topsOut(windowStart: number): TopOut {
    const out = <K extends string | number>(t: TopK<K>, label: (e: TopEntry<K>) => string) =>
      t.top(10).map((e) => ({ key: label(e), count: e.count }));
    return {
      windowStart,
      prefixes: out(this.tops.prefixes, (e) => prefixLabelOf(e.raw)),
      asns: out(this.tops.asns, (e) => `AS${e.key}`),
      countries: out(this.tops.countries, (e) => e.raw),
      paths: out(this.tops.paths, (e) => (e.raw.length > 200 ? `${e.raw.slice(0, 200)}…` : e.raw)),
    };
  }

  /** The last `n` complete seconds (the current, partial second is left out). */
  series(n = 120): SeriesOut {
    this.roll(Math.floor(this.o.now() / 1000));
    n = Math.max(1, Math.min(RING_SECONDS - 1, Math.floor(n)));
    const end = this.cur - 1;
    const start = end - n + 1;
    const out: SeriesOut = {
      start,
      seconds: [],
      total: [],
      byVerdict: {},
      sources: [],
      originP50: [],
      originP95: [],
      mode: [],
    };
    const used = this.rules.map((_, r) => r).filter((r) => this.usedIn(r, start, end));
    for (const r of used) out.byVerdict[this.rules[r]] = [];
    for (let s = start; s <= end; s++) {
      const slot = ((s % RING_SECONDS) + RING_SECONDS) % RING_SECONDS;
      out.seconds.push(s);
      out.total.push(this.secTotal[slot]);
      out.sources.push(this.secSources[slot]);
      for (const r of used) out.byVerdict[this.rules[r]].push(this.secRule[slot * MAX_RULES + r]);
      out.originP50.push(this.quantile(slot, 0.5));
      out.originP95.push(this.quantile(slot, 0.95));
      out.mode.push(this.secMode[slot]);
    }
    return out;
  }

  private usedIn(r: number, start: number, end: number): boolean {
    for (let s = start; s <= end; s++)
      if (this.secRule[(((s % RING_SECONDS) + RING_SECONDS) % RING_SECONDS) * MAX_RULES + r] > 0) return true;
    return false;
  }

  /** Upper bound (ms) of the bucket holding quantile q of that second; null without origin requests. */
  private quantile(slot: number, q: number): number | null {
    let n = 0;
    for (let b = 0; b < NB; b++) n += this.secLatency[slot * NB + b];
    if (n === 0) return null;
    const want = Math.ceil(q * n);
    let acc = 0;
    for (let b = 0; b < NB; b++) {
      acc += this.secLatency[slot * NB + b];
      if (acc >= want) return Number.isFinite(LATENCY_BOUNDS_MS[b]) ? LATENCY_BOUNDS_MS[b] : LATENCY_BOUNDS_MS[NB - 2];
    }
    return null;
  }

  /** Requests in the last `n` complete seconds, per second (for status). */
  rate(n = 10): number {
    const s = this.series(n);
    return s.total.reduce((a, b) => a + b, 0) / s.total.length;
  }

  /** Top lists of the current 60-second window, or of the previous one while the current is young. */
  top(): TopOut {
    const now = this.o.now();
    if (this.topStart !== 0 && now - this.topStart >= TOP_WINDOW_MS) this.rotateTops(now);
    if (this.prevTops && now - this.topStart < 10_000) return this.prevTops;
    return this.topsOut(this.topStart);
  }

  totals(): TrafficTotals {
    return {
      rules: this.rules,
      classes: this.classes,
      counts: this.counts,
      originBuckets: this.originBuckets,
      originSum: this.originSum,
      originCount: this.originCount,
      totalBuckets: this.totalBuckets,
      totalSum: this.totalSum,
      totalCount: this.totalCount,
    };
  }
}

export const MAX_ROUTE_CLASSES = MAX_CLASSES;
