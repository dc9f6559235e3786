// Scores one closed second: volume tests (fast flood, low-and-slow window,
// per route class) against the learned baseline — with wider margins while
// the baseline is young — composition tests (composition.ts), origin
// distress, the signature (signature.ts) and the vectors (vectors.ts).
// An attack needs more AND different traffic; from the first second, before
// any baseline, it can also be: one source over ban_min_rps, slow
// connections, a few seconds in a row of clients behaving unlike people
// (dropping the cookie they were given, posting forms they never loaded), or
// an origin in distress under such traffic. Pure: reads,
// never writes. Runs once a second; allocates small arrays.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Baselines } from './baseline.js';
import { compositionOf } from './composition.js';
import { ROUTE_CLASSES, type SecondSample, type Signature, type SignatureItem, type VectorFinding } from './events.js';
import { r2, signatureOf } from './signature.js';
import { classify } from './vectors.js';
import type { SecondWindow } from './window.js';
import type { Enumeration } from './enumeration.js';

export { enumerationOf, type Enumeration } from './enumeration.js';
export { signatureOf } from './signature.js';

export interface Assessment {
  anomalous: boolean;
  /** What made the second anomalous: a volume test with a changed mix, one heavy source, slow connections, traffic that drops cookies (no baseline needed), or the origin in distress. */
  evidence: 'volume' | 'heavy' | 'slow' | 'behaviour' | 'distress' | 'enumeration' | 'none';
  /** The origin is hurting: latency far above baseline (or over 2 s before one exists), ≥ 20 % 5xx, or ≥ 5 % of requests shed. */
  distress: boolean;
  score: number;
  volume: { fast: number; slow: number; cls: number; classIndex: number };
  /** Names of the composition tests that fired, with their figures. */
  composition: Record<string, number>;
  /** The composition tests judged against values known in advance. */
  apriori: string[];
  /** Clients behaving unlike people (composition.ts `unlike`): never a site's normal; such a second is not learned. */
  unlike: boolean;
  /** How far this second went toward needing no streak (composition.ts `weight`). */
  weight: number;
  signature: Signature;
  vectors: VectorFinding[];
  /** Sources at or above ban_min_rps this second. */
  heavy: SignatureItem[];
  /** Route classes that are over-represented or volume-anomalous. */
  attackedClasses: string[];
  /** No second of the slow window under half its mean (a steady rate, not a burst's tail). */
  steady: boolean;
  /** Identifier walks found this second (src/detector/templates.ts), or null. */
  enumeration: Enumeration | null;
}

export interface History {
  requestsMean(n: number): number;
  requestsMin(n: number): number;
  count: number;
}

/** What the detector knows beyond this second. */
export interface AssessContext {
  history: History;
  cfg: DetectorConfig;
  /** Seconds in a row (before this one) of clients behaving unlike people. */
  cookieStreak: number;
  /** The weights of that run of seconds, summed (composition.ts `weight`). */
  unlikeMass: number;
  /** Enumeration found by the template watch this second, or null. */
  enumeration: Assessment['enumeration'];
}

/** A second where admission queued this share of the requests it forwarded: the origin at its concurrency limit. */
export const QUEUED_SHARE = 0.25;
/** Seconds with traffic learned before a volume test is made at all. */
export const MIN_VOLUME_SECONDS = 1;
/** Seconds in a row of clients behaving unlike people that are an attack without any baseline. */
export const COOKIE_STREAK = 3;
/** A second with this share refused or challenged by Rampart is not the site's normal (nor learned). */
export const REFUSED_SHARE = 0.5;
/** A second with this share of pages from clients that never loaded an asset (assetlessOf). */
export const ASSETLESS_SHARE = 0.5;

function threshold(mean: number, std: number, floor: number, ratio: number, sigmas: number): number {
  return Math.max(floor, mean * ratio, mean + sigmas * std);
}

/**
 * Margin for a young baseline: ×7 on one learned second, ×3.6 on five, ×3.1
 * on ten, narrowing to ×1 once `warmup` seconds with traffic are learned
 * (with the default min_ratio of 3: a flood at 21×, 11×, 9× the mean so far).
 * A mean of a few seconds is a guess; a flood is 10–100× it, a newsletter 2–5×.
 */
export function youth(learned: number, warmupS: number): number {
  const w = Math.max(1, warmupS);
  return 1 + 2 * Math.max(0, 1 - learned / w) + (learned < w ? 4 / Math.max(1, learned) : 0);
}

export function assess(s: SecondSample, w: SecondWindow, b: Baselines, x: AssessContext): Assessment {
  const cfg = x.cfg;
  const n = s.requests;
  const sig = signatureOf(w, b, cfg.minLift);
  const heavy = sig.sources.filter((h) => h.count >= cfg.banMinRps);
  const heavyShare = n > 0 ? heavy.reduce((a, h) => a + h.count, 0) / n : 0;
  const exp = b.expectedRps(s.t);
  const learned = b.learned >= MIN_VOLUME_SECONDS;
  const y = youth(b.learned, Math.round(cfg.warmup / 1000));
  const { fast, slow, steady } = volumeOf(n, exp, b, x, y);
  const { cls, clsIdx } = classVolume(w, b, cfg, n, y);
  const comp = compositionOf(s, w, b, sig, heavyShare, cfg);
  const keys = Object.keys(comp.tests);
  // A route class's surge at an ordinary total rate, with nothing else changed (no tool
  // fingerprint, no errors, no heavy or fast sources), is people doing something else —
  // following a donation appeal, a form's first rush — not a flood: it needs corroboration.
  const classOnly = fast < 1 && slow < 1 && keys.length === 1 && keys[0] === 'routeClassLift';
  const shifted = (keys.length > 0 && !classOnly) || assetlessOf(s, cfg);
  const volume = Math.max(fast, slow, cls);
  const distress = distressOf(s, b, cfg.minRps / 2);
  const unlike = comp.unlike;
  // Novel query names weigh from the second second of a run of unlike seconds (composition.ts novelWeight).
  const weight = Math.max(comp.weight, x.cookieStreak > 0 ? comp.novelWeight : 0);
  // A rise carried by tools the site does not usually see: over slow_ratio × the expected rate in this one second.
  const tools = comp.tests.toolShare !== undefined && learned && n >= cfg.slowRatio * y * Math.max(exp, 1);
  const evidence = evidenceOf(s, cfg, {
    volume,
    shifted,
    tools,
    heavyShare,
    unlike,
    mass: x.unlikeMass + weight,
    distress,
    streak: x.cookieStreak,
    enumeration: x.enumeration !== null,
    apriori: comp.apriori.length > 0,
    refusedTools: comp.tests.toolShare !== undefined && n > 0 && s.refused / n >= REFUSED_SHARE,
    assetless: assetlessOf(s, cfg),
  });
  const anomalous = evidence !== 'none';
  const score = r2(anomalous ? Math.max(volume, 1) : Math.min(volume, shifted ? volume : 0.99));
  const a: Assessment = {
    anomalous,
    evidence,
    distress,
    score,
    volume: { fast: r2(fast), slow: r2(slow), cls: r2(cls), classIndex: clsIdx },
    composition: comp.tests,
    apriori: comp.apriori,
    unlike,
    weight,
    signature: sig,
    vectors: [],
    heavy,
    attackedClasses: attackedClassesOf(sig, n, cfg, cls, clsIdx),
    steady,
    enumeration: x.enumeration,
  };
  if (anomalous) a.vectors = classify(s, w, b, a, heavyShare, cfg, exp);
  return a;
}

/**
 * The total volume tests: this second against the flood threshold (fast), the
 * low-and-slow window's mean against its own (slow), and whether that window
 * is steady. Zero before MIN_VOLUME_SECONDS are learned.
 */
function volumeOf(
  n: number,
  exp: number,
  b: Baselines,
  x: AssessContext,
  y: number,
): { fast: number; slow: number; steady: boolean } {
  const { history, cfg } = x;
  const learned = b.learned >= MIN_VOLUME_SECONDS;
  const fast = learned ? n / threshold(exp, b.rps.std, cfg.minRps, cfg.minRatio * y, cfg.sensitivity) : 0;
  const win = Math.round(cfg.slowWindow / 1000);
  const slow =
    learned && history.count >= win
      ? history.requestsMean(win) /
        threshold(exp, (b.rps.std * y) / Math.sqrt(win), cfg.minRps, cfg.slowRatio * y, cfg.sensitivity)
      : 0;
  // Low-and-slow is steady: no second of the window under half its mean. A pulse's gap, or the
  // stragglers after a burst, lift the window's mean with seconds far above the rest.
  const steady = history.count >= win && history.requestsMin(win) >= 0.5 * history.requestsMean(win);
  return { fast, slow, steady };
}

/** Route classes over-represented (not `static`), plus the one whose own volume test fired. */
function attackedClassesOf(sig: Signature, n: number, cfg: DetectorConfig, cls: number, clsIdx: number): string[] {
  const attacked = sig.routeClasses
    .filter((c) => c.name !== 'static' && c.share >= 0.2 && c.lift >= cfg.minLift && c.share * n >= cfg.minRps / 2)
    .map((c) => c.name);
  if (clsIdx > 0 && cls >= 1 && !attacked.includes(ROUTE_CLASSES[clsIdx])) attacked.push(ROUTE_CLASSES[clsIdx]);
  return attacked;
}

interface Signals {
  volume: number;
  shifted: boolean;
  /** Tools the site does not usually see send a third of the second or more (composition.ts toolShare), over slow_ratio × the expected rate. */
  tools: boolean;
  heavyShare: number;
  /** Clients behaved unlike people this second (composition.ts). */
  unlike: boolean;
  /** …and the weight of this run of such seconds: 1 needs no streak. */
  mass: number;
  distress: boolean;
  streak: number;
  enumeration: boolean;
  /** Any a-priori composition test fired. */
  apriori: boolean;
  /** Tools the site does not usually see send a third of the second, and Rampart refused or challenged half of it already. */
  refusedTools: boolean;
  /** Half the second asks for pages from clients that never loaded an asset, while others here do (assetlessOf). */
  assetless: boolean;
}

/** Which evidence makes the second anomalous (the first that holds), or 'none'. */
function evidenceOf(s: SecondSample, cfg: DetectorConfig, g: Signals): Assessment['evidence'] {
  const n = s.requests;
  // Below min_rps in total nothing is a flood (small sites: a few synchronised visitors swing every ratio).
  if (g.volume >= 1 && g.shifted && n >= cfg.minRps) return 'volume';
  // A rise carried by tools the site does not usually see is an attack well before the volume test
  // alone would say so (its margins are for crowds of browsers: a newsletter, an appeal, and a std
  // learned from bursty page views).
  if (g.tools && n >= cfg.minRps) return 'volume';
  // A single source far above ban_min_rps is a flood before any baseline.
  if (g.heavyShare >= 0.5 && n >= cfg.minRps) return 'heavy';
  if (s.slowConnections >= cfg.slowConnections || s.h2Abuse >= cfg.h2Abuse) return 'slow';
  if (g.enumeration) return 'enumeration';
  if (n < cfg.minRps) return 'none';
  // No baseline needed: several seconds of traffic that drops its cookie (or never comes back with it)…
  if (g.unlike && (g.mass >= 1 || g.streak + 1 >= COOKIE_STREAK)) return 'behaviour';
  // …or a crowd of tools the site does not know, half of it refused already (the surge guard challenges
  // the crowd's tools before any incident): the guard's hold ends, an incident's mitigations do not.
  if (g.refusedTools) return 'behaviour';
  // …or the origin hurting while such traffic, another a-priori shift, or a crowd that never loads what
  // its pages need is there.
  if (g.distress && (g.unlike || g.apriori || g.assetless)) return 'distress';
  return 'none';
}

function classVolume(
  w: SecondWindow,
  b: Baselines,
  cfg: DetectorConfig,
  n: number,
  y: number,
): { cls: number; clsIdx: number } {
  let cls = 0;
  let clsIdx = -1;
  // A route class's own volume test compares with its learned share: only on a supported baseline.
  for (let i = 1; b.sharesSupported() && i < ROUTE_CLASSES.length; i++) {
    // i = 0 is `static`: see composition.ts.
    const e = b.classCount[i];
    const v = w.classes[i] / threshold(e.mean, e.std * y, cfg.minRps, cfg.minRatio * y, cfg.sensitivity);
    const share = n > 0 ? w.classes[i] / n : 0;
    const lift = share / Math.max(b.classShare[i].mean, 0.01);
    if (v > cls && lift >= cfg.minLift) {
      cls = v;
      clsIdx = i;
    }
  }
  return { cls, clsIdx };
}

/**
 * Half the second (and at least min_rps / 2) asks for pages, searches and API
 * calls from clients whose seen cookie has no assets mark, while clients with
 * the mark are here too: this site's pages do load their assets through
 * Rampart, and people do (a browser loads the styles, scripts and images of its
 * first page), crowds of page requests mostly do not. A newsletter's readers
 * load a page's assets with each first page: a tenth to a fifth of their
 * requests are pages. Alone it proves nothing (a site's API clients load no
 * assets): only with the origin in distress is it evidence.
 */
function assetlessOf(s: SecondSample, cfg: DetectorConfig): boolean {
  const { marked, assetless } = s.clients;
  return marked > 0 && assetless >= cfg.minRps / 2 && assetless >= ASSETLESS_SHARE * s.requests;
}

/**
 * The origin is hurting: slow against its learned latency (or over 2 s before
 * one exists), ≥ 20 % 5xx, admission shedding ≥ 5 % of the requests, or
 * queueing a quarter of what it forwards (and at least `floor`): the origin at
 * its concurrency limit, known without any history — the first sign of a
 * flood that reaches it, seconds before its mean latency says so.
 */
function distressOf(s: SecondSample, b: Baselines, floor: number): boolean {
  const n = s.requests;
  if (n === 0) return false;
  const base = b.originMs;
  const slowOrigin =
    s.forwarded > 0 && (base.n >= 5 ? s.originMs > Math.max(3 * base.mean, base.mean + 500) : s.originMs > 2000);
  const shed = (s.families.origin ?? 0) / n >= 0.05;
  const queued = s.queued ?? 0;
  const atLimit = queued >= floor && queued >= QUEUED_SHARE * s.forwarded;
  return slowOrigin || s.status.s5xx / n >= 0.2 || shed || atLimit;
}
