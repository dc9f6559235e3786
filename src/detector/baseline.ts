// Learned baselines: EWMA mean and variance of each per-second metric, per
// route class, plus an hour-of-day profile of the request rate (used once an
// hour has been seen on an earlier day), and count-min sketches of how often
// each prefix, fingerprint, path and query shape is seen in calm traffic.
// Learns only from calm seconds (never from an attack). Memory ceiling:
// ~40 EWMAs + 24 hourly + 4 × 32 KiB sketches ≈ 130 KiB. Updated once a second.
import { CountMin } from '../core/count-min.js';
import { Ewma, alphaForHalfLife } from '../core/ewma.js';
import type { BaselineFigures, SecondSample } from './events.js';
import { ROUTE_CLASSES } from './events.js';
import { CM_DEPTH, CM_WIDTH, type PendingKeys } from './window.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Learned requests (decayed) below which share lifts are not judged (±5 % on a 10 % share). */
export const SHARE_SUPPORT = 200;

/** A baseline as plain data: EWMAs as [mean, variance, n] by name, the hour-of-day bookkeeping, the key sketches. */
export interface BaselineState {
  ewmas: Record<string, [number, number, number]>;
  hourDays: Uint16Array;
  hourLastDay: Float64Array;
  sketches: { cells: Uint32Array; total: number }[];
  sinceHalve: number;
  learned: number;
  shareRequests: number;
}

export class Baselines {
  readonly rps: Ewma;
  readonly sources: Ewma;
  readonly newSources: Ewma;
  readonly forwarded: Ewma;
  readonly originMs: Ewma;
  readonly perSource: Ewma;
  readonly queryUniq: Ewma;
  readonly pathUniq: Ewma;
  readonly queryShare: Ewma;
  readonly share4xx: Ewma;
  readonly share5xx: Ewma;
  /** Shares of requests without the seen cookie: first requests (fresh), from browser-claiming clients that drop it (ignored), all without it. */
  readonly freshShare: Ewma;
  readonly ignoredShare: Ewma;
  readonly noCookieShare: Ewma;
  readonly classCount: Ewma[];
  readonly classShare: Ewma[];
  private readonly hourly: Ewma[];
  private readonly hourDays = new Uint16Array(24);
  private readonly hourLastDay = new Float64Array(24).fill(-1);
  readonly prefix = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly fp = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly path = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly shape = new CountMin(CM_WIDTH, CM_DEPTH);
  private readonly halfLifeS: number;
  private sinceHalve = 0;
  /** Seconds with traffic learned (the warm-up counts these: idle seconds teach no shares). */
  learned = 0;
  /** Requests behind the learned shares, halved with the sketches (a decayed count). */
  shareRequests = 0;

  constructor(halfLifeMs: number) {
    this.halfLifeS = Math.max(10, Math.round(halfLifeMs / 1000));
    const a = alphaForHalfLife(this.halfLifeS);
    const mk = () => new Ewma(a);
    this.rps = mk();
    this.sources = mk();
    this.newSources = mk();
    this.forwarded = mk();
    this.originMs = mk();
    this.perSource = mk();
    this.queryUniq = mk();
    this.pathUniq = mk();
    this.queryShare = mk();
    this.share4xx = mk();
    this.share5xx = mk();
    this.freshShare = mk();
    this.ignoredShare = mk();
    this.noCookieShare = mk();
    this.classCount = Array.from({ length: 7 }, mk);
    this.classShare = Array.from({ length: 7 }, mk);
    // The hourly profile moves slowly: one update per calm second of that hour, day after day.
    const ah = alphaForHalfLife(3600);
    this.hourly = Array.from({ length: 24 }, () => new Ewma(ah));
  }

  /** Folds one calm second (its sample and its key counts) into every baseline. */
  learn(s: SecondSample, keys: PendingKeys): void {
    const n = s.requests;
    this.shareRequests += n;
    this.rps.update(n);
    this.sources.update(s.sources);
    this.newSources.update(s.newSources);
    this.forwarded.update(s.forwarded);
    if (s.forwarded > 0) this.originMs.update(s.originMs);
    if (n > 0) {
      this.perSource.update(n / Math.max(1, s.sources));
      this.queryShare.update(s.withQuery / n);
      this.share4xx.update(s.status.s4xx / n);
      this.share5xx.update(s.status.s5xx / n);
      this.freshShare.update(s.clients.fresh / n);
      this.ignoredShare.update(s.clients.browserIgnored / n);
      this.noCookieShare.update((s.clients.fresh + s.clients.ignored) / n);
      for (let i = 0; i < 7; i++) this.classShare[i].update(s.classes[ROUTE_CLASSES[i]] / n);
    }
    if (s.withQuery >= 8) this.queryUniq.update(s.queryUniqueness);
    if (n >= 8) this.pathUniq.update(s.pathUniqueness);
    for (let i = 0; i < 7; i++) this.classCount[i].update(s.classes[ROUTE_CLASSES[i]]);
    const hour = Math.floor((s.t % DAY) / HOUR);
    const day = Math.floor(s.t / DAY);
    if (this.hourLastDay[hour] !== day) {
      this.hourLastDay[hour] = day;
      if (this.hourDays[hour] < 65535) this.hourDays[hour]++;
    }
    this.hourly[hour].update(n);
    this.prefix.merge(keys.prefix);
    this.fp.merge(keys.fp);
    this.path.merge(keys.path);
    this.shape.merge(keys.shape);
    if (++this.sinceHalve >= this.halfLifeS) {
      this.sinceHalve = 0;
      this.prefix.halve();
      this.fp.halve();
      this.path.halve();
      this.shape.halve();
      this.shareRequests /= 2;
    }
    // An idle second (a demo waiting for its drill, a site at night between
    // visits) says the site can be quiet, but nothing about what its traffic
    // looks like: it does not count toward the warm-up.
    if (n > 0) this.learned++;
  }

  /**
   * Whether route-class and fingerprint shares rest on enough learned requests
   * to judge a lift against them: a baseline of a few requests (idle seconds,
   * the first visitors) makes any first real traffic look "over-represented".
   */
  sharesSupported(): boolean {
    return this.shareRequests >= SHARE_SUPPORT;
  }

  /**
   * Expected requests per second at time t: the recent EWMA, raised to the
   * hour-of-day profile once that hour was learned on at least two days (a
   * daily peak is then not mistaken for a flood).
   */
  expectedRps(t: number): number {
    const hour = Math.floor((t % DAY) / HOUR);
    const hourly = this.hourDays[hour] >= 2 && this.hourly[hour].n >= 600 ? this.hourly[hour].mean : 0;
    return Math.max(this.rps.mean, hourly);
  }

  /** Every EWMA by a stable name (what a snapshot stores; a field missing from one is left as it is). */
  private ewmas(): Record<string, Ewma> {
    const m: Record<string, Ewma> = {
      rps: this.rps,
      sources: this.sources,
      newSources: this.newSources,
      forwarded: this.forwarded,
      originMs: this.originMs,
      perSource: this.perSource,
      queryUniq: this.queryUniq,
      pathUniq: this.pathUniq,
      queryShare: this.queryShare,
      share4xx: this.share4xx,
      share5xx: this.share5xx,
      freshShare: this.freshShare,
      ignoredShare: this.ignoredShare,
      noCookieShare: this.noCookieShare,
    };
    for (let i = 0; i < 7; i++) {
      m[`classCount${i}`] = this.classCount[i];
      m[`classShare${i}`] = this.classShare[i];
    }
    for (let h = 0; h < 24; h++) m[`hourly${h}`] = this.hourly[h];
    return m;
  }

  /** What was learned, as plain data (persisted by the app: src/detector/learned.ts). */
  exportState(): BaselineState {
    const ewmas: Record<string, [number, number, number]> = {};
    for (const [k, e] of Object.entries(this.ewmas())) ewmas[k] = [e.mean, e.variance, e.n];
    const sk = (c: CountMin) => c.exportCells();
    return {
      ewmas,
      hourDays: this.hourDays.slice(),
      hourLastDay: this.hourLastDay.slice(),
      sketches: [sk(this.prefix), sk(this.fp), sk(this.path), sk(this.shape)],
      sinceHalve: this.sinceHalve,
      learned: this.learned,
      shareRequests: this.shareRequests,
    };
  }

  /**
   * Takes back what an earlier run learned. `confidence` (0..1) scales how
   * much of the warm-up it counts for: a baseline from hours ago is right
   * about the site's shape but less sure of today's volume.
   */
  importState(st: BaselineState, confidence: number): void {
    const own = this.ewmas();
    for (const [k, v] of Object.entries(st.ewmas)) {
      const e = own[k];
      if (e === undefined || !Array.isArray(v) || v.length !== 3 || !v.every(Number.isFinite)) continue;
      e.mean = v[0];
      e.variance = Math.max(0, v[1]);
      e.n = Math.max(0, Math.round(v[2]));
    }
    if (st.hourDays.length === 24) this.hourDays.set(st.hourDays);
    if (st.hourLastDay.length === 24) this.hourLastDay.set(st.hourLastDay);
    const mine = [this.prefix, this.fp, this.path, this.shape];
    st.sketches.forEach((c, i) => {
      mine[i].clear();
      mine[i].mergeCells(c.cells, c.total);
    });
    this.sinceHalve = st.sinceHalve;
    this.learned = Math.round(st.learned * Math.min(1, Math.max(0, confidence)));
    this.shareRequests = st.shareRequests;
  }

  /** Baseline share (0..1) of a key in one of the per-key sketches. */
  static share(cm: CountMin, key: number): number {
    return cm.total > 0 ? Math.min(1, cm.estimate(key) / cm.total) : 0;
  }

  figures(warm: boolean): BaselineFigures {
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return {
      rps: r2(this.rps.mean),
      rpsStd: r2(this.rps.std),
      sources: r2(this.sources.mean),
      forwarded: r2(this.forwarded.mean),
      originMs: r2(this.originMs.mean),
      learnedSeconds: this.learned,
      warm,
    };
  }
}
