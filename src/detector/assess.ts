// Scores one closed second against the baselines: volume tests (fast flood,
// low-and-slow window, per route class), composition tests (what changed in
// the mix: heavy sources, a fingerprint, a route class, unique query strings,
// per-source rate, error share), the signature (keys over-represented against
// their baseline share) and the vectors. Pure: reads, never writes. Runs once
// a second; allocates small arrays (≤ a few hundred objects).
import type { DetectorConfig } from '../config/schema/detector.js';
import { prefixLabelOf } from '../core/ip.js';
import type { CountMin } from '../core/count-min.js';
import type { SpaceSaving } from '../core/space-saving.js';
import { Baselines } from './baseline.js';
import { ROUTE_CLASSES, type ClassShare, type SecondSample, type Signature, type SignatureItem, type Vector, type VectorFinding } from './events.js';
import type { SecondWindow } from './window.js';

export interface Assessment {
  anomalous: boolean;
  /** The origin is hurting: latency far above baseline or ≥ 20 % 5xx. */
  distress: boolean;
  score: number;
  volume: { fast: number; slow: number; cls: number; classIndex: number };
  /** Names of the composition tests that fired, with their figures. */
  composition: Record<string, number>;
  signature: Signature;
  vectors: VectorFinding[];
  /** Sources at or above ban_min_rps this second. */
  heavy: SignatureItem[];
  /** Route classes that are over-represented or volume-anomalous. */
  attackedClasses: string[];
  /** No second of the slow window under half its mean (a steady rate, not a burst's tail). */
  steady: boolean;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function itemsOf(ss: SpaceSaving, total: number, cm: CountMin | null, label: (key: number, l: string) => string, minShare: number, minLift: number, max: number): SignatureItem[] {
  const out: SignatureItem[] = [];
  if (total <= 0) return out;
  for (const h of ss.top(max * 2)) {
    // The guaranteed lower bound: a key that just replaced the minimum inherits its count as error.
    const count = h.count - h.error;
    const share = count / total;
    const base = cm ? Baselines.share(cm, h.key) : 0;
    const lift = share / Math.max(base, 0.001);
    if (share < minShare || (cm !== null && lift < minLift)) continue;
    out.push({ key: h.key, label: label(h.key, h.label), count, share: r2(share), baselineShare: Math.round(base * 10000) / 10000, lift: r2(lift) });
    if (out.length >= max) break;
  }
  return out;
}

const hex = (k: number) => k.toString(16).padStart(8, '0');

const FAMILIES: [RegExp, string][] = [
  [/^\[spoofed\]/, 'spoofed'], // window.ts SPOOFED_LABEL: never treated as the browser it claims
  [/curl\//i, 'curl'],
  [/wget\//i, 'wget'],
  [/python-requests|python-urllib|aiohttp|httpx/i, 'python'],
  [/go-http-client/i, 'go'],
  [/node-fetch|undici|axios|node\.js/i, 'node'],
  [/bot|crawler|spider|slurp|headless/i, 'bot'],
  [/edg\//i, 'edge'],
  [/firefox\//i, 'firefox'],
  [/chrome\/|chromium\//i, 'chrome'],
  [/safari\//i, 'safari'],
];
const BROWSERS = new Set(['edge', 'firefox', 'chrome', 'safari']);

/** Coarse user-agent family (the same families as identity's fingerprint; run only on a few examples per second). */
export function uaFamily(ua: string): string {
  if (!ua) return 'none';
  for (const [re, name] of FAMILIES) if (re.test(ua)) return name;
  return 'other';
}

/**
 * A fingerprint is blamed when it is a tool (curl, python…, no UA) over
 * min_lift, or a browser far over it (10 × min_lift): a newsletter's readers
 * or an e-mail app's web view legitimately shift the browser mix by a few times.
 */
function fingerprintItem(f: SignatureItem, w: SecondWindow, minLift: number, supported: boolean): SignatureItem {
  const family = uaFamily(w.topFps.labelOf(f.key));
  // A browser's lift against a baseline of a few requests means nothing (every browser is "new" after idle seconds).
  return { ...f, label: `${f.label} ${family}`, family, suspicious: BROWSERS.has(family) ? supported && f.lift >= 10 * minLift : f.lift >= minLift };
}

/** Keys over-represented this second (sources: simply the largest). */
export function signatureOf(w: SecondWindow, b: Baselines, minLift: number): Signature {
  const n = w.requests;
  const supported = b.sharesSupported();
  const classes: ClassShare[] = [];
  for (let i = 0; i < ROUTE_CLASSES.length; i++) {
    if (w.classes[i] === 0) continue;
    const share = w.classes[i] / n;
    const base = b.classShare[i].n > 0 ? b.classShare[i].mean : 0;
    classes.push({ name: ROUTE_CLASSES[i], share: r2(share), baselineShare: r2(base), lift: r2(share / Math.max(base, 0.01)) });
  }
  classes.sort((x, y) => y.lift - x.lift);
  return {
    sources: itemsOf(w.topSources, n, null, (_k, l) => l, 0.01, 0, 10),
    prefixes: itemsOf(w.topPrefixes, n, b.prefix, (_k, l) => (l ? prefixLabelOf(l) : ''), 0.05, minLift, 10),
    fingerprints: itemsOf(w.topFps, n, b.fp, (k) => hex(k), 0.05, minLift, 5).map((f) => fingerprintItem(f, w, minLift, supported)),
    paths: itemsOf(w.topPaths, n, b.path, (_k, l) => l.slice(0, 200), 0.05, minLift, 10),
    queryShapes: itemsOf(w.topShapes, w.withQuery, b.shape, (_k, l) => l.slice(0, 80), 0.05, minLift, 5),
    clients: itemsOf(w.topClients, n, null, (_k, l) => l.slice(0, 200), 0.05, 0, 5),
    routeClasses: classes,
  };
}

function threshold(mean: number, std: number, floor: number, ratio: number, sigmas: number): number {
  return Math.max(floor, mean * ratio, mean + sigmas * std);
}

/** Composition tests: what changed in the mix beyond the volume. */
function compositionOf(s: SecondSample, w: SecondWindow, b: Baselines, sig: Signature, heavyShare: number, cfg: DetectorConfig): Record<string, number> {
  const c: Record<string, number> = {};
  const n = s.requests;
  if (heavyShare >= 0.2) c.heavySourceShare = r2(heavyShare);
  // Absolute floors as well as shares: at a few requests per second a handful of
  // synchronised visitors (one fingerprint, one form) swing every share.
  const floor = cfg.minRps / 2;
  // Lifts need a baseline with enough requests behind its shares (not idle seconds or the
  // first few visitors); without one only a tool's fingerprint counts (fingerprintItem).
  const supported = b.sharesSupported();
  const fp = sig.fingerprints.find((f) => f.suspicious);
  if (fp && fp.share >= 0.3 && fp.count >= floor) c.fingerprintLift = fp.lift;
  // Static assets never count: new visitors (a newsletter) load them, returning ones have them cached, and a cache answers them.
  const cls = sig.routeClasses.find((x) => x.name !== 'static');
  if (supported && cls && cls.share >= 0.25 && cls.lift >= cfg.minLift && cls.share * n >= cfg.minRps) c.routeClassLift = cls.lift;
  const qShare = n > 0 ? w.withQuery / n : 0;
  const baseUniq = b.queryUniq.n > 0 ? b.queryUniq.mean : 0;
  if (qShare >= 0.3 && w.withQuery >= 10 && s.queryUniqueness >= 0.8 && s.queryUniqueness - baseUniq >= 0.3) c.queryUniqueness = r2(s.queryUniqueness);
  const perSource = n / Math.max(1, s.sources);
  // A page view with its assets is a burst of 5–30 requests from one browser: only well above that counts.
  if (b.perSource.n > 0 && perSource >= 10 && perSource >= 3 * b.perSource.mean) c.perSourceRate = r2(perSource);
  const basePathUniq = b.pathUniq.n > 0 ? b.pathUniq.mean : 0;
  if (n >= 20 && s.pathUniqueness >= 0.7 && s.pathUniqueness - basePathUniq >= 0.25) c.pathUniqueness = r2(s.pathUniqueness);
  // Floods ask for pages, not the assets that come with them: the static share collapses (a newsletter's readers keep it).
  const baseStatic = b.classShare[0].n > 0 ? b.classShare[0].mean : 0;
  const staticShare = n > 0 ? w.classes[0] / n : 0;
  if (n >= 2 * cfg.minRps && baseStatic >= 0.2 && staticShare <= 0.65 * baseStatic) c.staticShareDrop = r2(staticShare / baseStatic);
  const s4 = n > 0 ? s.status.s4xx / n : 0;
  if (s4 >= 0.3 && s4 - (b.share4xx.n > 0 ? b.share4xx.mean : 0) >= 0.2) c.share4xx = r2(s4);
  return c;
}

export function assess(s: SecondSample, w: SecondWindow, b: Baselines, history: { requestsMean(n: number): number; requestsMin(n: number): number; count: number }, cfg: DetectorConfig, warm: boolean): Assessment {
  const n = s.requests;
  const sig = signatureOf(w, b, cfg.minLift);
  const heavy = sig.sources.filter((x) => x.count >= cfg.banMinRps);
  const heavyShare = n > 0 ? heavy.reduce((a, x) => a + x.count, 0) / n : 0;
  const exp = b.expectedRps(s.t);
  const fast = n / threshold(exp, b.rps.std, cfg.minRps, cfg.minRatio, cfg.sensitivity);
  const win = Math.round(cfg.slowWindow / 1000);
  const slow = history.count >= win ? history.requestsMean(win) / threshold(exp, b.rps.std / Math.sqrt(win), cfg.minRps, cfg.slowRatio, cfg.sensitivity) : 0;
  // Low-and-slow is steady: no second of the window under half its mean. A pulse's gap, or the
  // stragglers after a burst, lift the window's mean with seconds far above the rest.
  const steady = history.count >= win && history.requestsMin(win) >= 0.5 * history.requestsMean(win);
  let cls = 0;
  let clsIdx = -1;
  // A route class's own volume test compares with its learned share: only on a supported baseline.
  for (let i = 1; b.sharesSupported() && i < ROUTE_CLASSES.length; i++) {
    // i = 0 is `static`: see compositionOf.
    const e = b.classCount[i];
    const v = w.classes[i] / threshold(e.mean, e.std, cfg.minRps, cfg.minRatio, cfg.sensitivity);
    const share = n > 0 ? w.classes[i] / n : 0;
    const lift = share / Math.max(b.classShare[i].mean, 0.01);
    if (v > cls && lift >= cfg.minLift) {
      cls = v;
      clsIdx = i;
    }
  }
  const composition = compositionOf(s, w, b, sig, heavyShare, cfg);
  const keys = Object.keys(composition);
  // A route class's surge at an ordinary total rate, with nothing else changed (no tool
  // fingerprint, no errors, no heavy or fast sources), is people doing something else —
  // following a donation appeal, a form's first rush — not a flood: it needs corroboration.
  const classOnly = fast < 1 && slow < 1 && keys.length === 1 && keys[0] === 'routeClassLift';
  const shifted = keys.length > 0 && !classOnly;
  const slowConns = s.slowConnections >= cfg.slowConnections || s.h2Abuse >= cfg.h2Abuse;
  const volume = Math.max(fast, slow, cls);
  // A single source far above ban_min_rps is a flood even before the baseline is warm.
  const heavyAlone = heavyShare >= 0.5 && n >= cfg.minRps;
  // Below min_rps in total nothing is a flood (small sites: a few synchronised visitors swing every ratio).
  const anomalous = (warm && volume >= 1 && shifted && n >= cfg.minRps) || slowConns || heavyAlone;
  const distress = (s.forwarded > 0 && b.originMs.n > 0 && s.originMs > Math.max(3 * b.originMs.mean, b.originMs.mean + 500)) || (n > 0 && s.status.s5xx / n >= 0.2);
  const attackedClasses = sig.routeClasses.filter((c) => c.name !== 'static' && c.share >= 0.2 && c.lift >= cfg.minLift && c.share * n >= cfg.minRps / 2).map((c) => c.name);
  if (clsIdx > 0 && cls >= 1 && !attackedClasses.includes(ROUTE_CLASSES[clsIdx])) attackedClasses.push(ROUTE_CLASSES[clsIdx]);
  const a: Assessment = { anomalous, distress, score: r2(anomalous ? Math.max(volume, 1) : Math.min(volume, shifted ? volume : 0.99)), volume: { fast: r2(fast), slow: r2(slow), cls: r2(cls), classIndex: clsIdx }, composition, signature: sig, vectors: [], heavy, attackedClasses, steady };
  if (anomalous) a.vectors = classify(s, w, b, a, heavyShare, cfg, exp);
  return a;
}

/** Route classes (ROUTE_CLASSES index) whose over-representation is a vector of its own: login → credential stuffing, donate → a form flood, sensitive → enumeration. */
const CLASS_VECTORS = [[3, 'login_stuffing'], [4, 'form_flood'], [5, 'enumeration']] as const;

function classify(s: SecondSample, w: SecondWindow, b: Baselines, a: Assessment, heavyShare: number, cfg: DetectorConfig, exp: number): VectorFinding[] {
  const out: VectorFinding[] = [];
  const n = s.requests;
  const add = (vector: Vector, reason: string, figures: Record<string, number>) => out.push({ vector, reason, figures });
  const heavyRps = a.heavy.reduce((x, h) => x + h.count, 0);
  if (heavyShare >= 0.5) add('single_source_flood', `${a.heavy.length} source(s) sent ${Math.round(heavyShare * 100)}% of ${n} requests/s`, { sources: a.heavy.length, rps: heavyRps, share: r2(heavyShare), topRps: a.heavy[0]?.count ?? 0 });
  if (a.volume.fast >= 1 && heavyShare < 0.5 && s.sources >= 20) add('distributed_flood', `${n} requests/s from ${s.sources} sources against a baseline of ${r2(exp)}/s from ${r2(b.sources.mean)}`, { rps: n, baselineRps: r2(exp), sources: s.sources, baselineSources: r2(b.sources.mean), ratio: r2(n / Math.max(exp, 1)) });
  if (a.composition.pathUniqueness !== undefined && !a.attackedClasses.includes('sensitive')) add('cache_busting', `${Math.round(s.pathUniqueness * 100)}% of paths are unique (baseline ${Math.round((b.pathUniq.n > 0 ? b.pathUniq.mean : 0) * 100)}%)`, { pathUniqueness: r2(s.pathUniqueness), baselineUniqueness: r2(b.pathUniq.mean), pathEntropy: s.entropy.path });
  else if (a.composition.queryUniqueness !== undefined) add('cache_busting', `${Math.round(s.queryUniqueness * 100)}% of query strings are unique (baseline ${Math.round((b.queryUniq.n > 0 ? b.queryUniq.mean : 0) * 100)}%)`, { queryUniqueness: r2(s.queryUniqueness), baselineUniqueness: r2(b.queryUniq.mean), withQuery: w.withQuery, queryEntropy: s.entropy.query });
  for (const [idx, vector] of CLASS_VECTORS) {
    const name = ROUTE_CLASSES[idx];
    if (!a.attackedClasses.includes(name)) continue;
    const cnt = w.classes[idx];
    const fig = { rps: cnt, baselineRps: r2(b.classCount[idx].mean), share: r2(cnt / Math.max(1, n)), share4xx: r2(s.status.s4xx / Math.max(1, n)), pathEntropy: s.entropy.path, sources: s.sources };
    add(vector, `${name} route: ${cnt} requests/s against a baseline of ${r2(b.classCount[idx].mean)}/s (${Math.round(fig.share * 100)}% of traffic)`, fig);
  }
  if (s.slowConnections >= cfg.slowConnections) add('slow_connections', `${s.slowConnections} connections/s closed by header/body deadlines`, { perSecond: s.slowConnections, sources: w.topSlow.size });
  if (s.h2Abuse >= cfg.h2Abuse) add('h2_abuse', `${s.h2Abuse} HTTP/2 session(s)/s closed with GOAWAY for abuse (${w.h2Glitches} glitches: resets before a response, protocol errors, control-frame floods)`, { sessions: s.h2Abuse, glitches: w.h2Glitches, sources: w.topH2.size });
  if (a.volume.slow >= 1 && a.volume.fast < 1 && a.steady && heavyShare < 0.2) {
    const win = Math.round(cfg.slowWindow / 1000);
    add('low_and_slow', `sustained ${r2(a.volume.slow)}× the low-and-slow threshold over ${win}s from ${s.sources} sources at ${r2(n / Math.max(1, s.sources))} requests/s each`, { slowScore: a.volume.slow, baselineRps: r2(exp), sources: s.sources, perSourceRps: r2(n / Math.max(1, s.sources)), windowSeconds: win });
  }
  if (out.length === 0) add('distributed_flood', `traffic ${r2(Math.max(a.volume.fast, a.volume.cls))}× the flood threshold with a changed mix`, { rps: n, baselineRps: r2(exp), sources: s.sources, ratio: r2(n / Math.max(exp, 1)) });
  return out;
}
