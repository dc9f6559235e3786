// Names an anomalous second's attack: its vectors, each with a reason in
// words and the figures behind it (docs/detector.md, "Vectors"). Pure; runs
// only on anomalous seconds.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import { ROUTE_CLASSES, type SecondSample, type Vector, type VectorFinding } from './events.js';
import { r2 } from './signature.js';
import type { SecondWindow } from './window.js';

/** Route classes (ROUTE_CLASSES index) whose over-representation is a vector of its own: login → credential stuffing, donate → a form flood, sensitive → enumeration. */
const CLASS_VECTORS = [
  [3, 'login_stuffing'],
  [4, 'form_flood'],
  [5, 'enumeration'],
] as const;

const pct = (x: number) => Math.round(x * 100);

/** What naming a second's vectors reads. */
interface Second {
  s: SecondSample;
  w: SecondWindow;
  b: Baselines;
  a: Assessment;
  heavyShare: number;
  cfg: DetectorConfig;
  /** The expected requests/s for this second (baseline). */
  exp: number;
}

function add(out: VectorFinding[], vector: Vector, reason: string, figures: Record<string, number>): void {
  out.push({ vector, reason, figures });
}

export function classify(
  s: SecondSample,
  w: SecondWindow,
  b: Baselines,
  a: Assessment,
  heavyShare: number,
  cfg: DetectorConfig,
  exp: number,
): VectorFinding[] {
  const x: Second = { s, w, b, a, heavyShare, cfg, exp };
  const out: VectorFinding[] = [];
  floods(x, out);
  cacheBusting(x, out);
  routeClassVectors(x, out);
  if (a.enumeration !== null)
    out.push({
      vector: 'enumeration',
      reason: a.enumeration.reason,
      figures: a.enumeration.figures,
      templates: a.enumeration.templates,
    });
  connectionVectors(x, out);
  lowAndSlow(x, out);
  const enumerationOnly =
    out.length === 1 &&
    out[0].vector === 'enumeration' &&
    a.volume.fast < 1 &&
    a.volume.slow < 1 &&
    a.evidence !== 'volume';
  if (out.length === 0 || enumerationOnly) otherwise(x, out);
  return out;
}

/** One source with half the traffic, or a flood over the threshold from 20 sources or more. */
function floods({ s, b, a, heavyShare, exp }: Second, out: VectorFinding[]): void {
  const n = s.requests;
  const heavyRps = a.heavy.reduce((x, h) => x + h.count, 0);
  if (heavyShare >= 0.5)
    add(out, 'single_source_flood', `${a.heavy.length} source(s) sent ${pct(heavyShare)}% of ${n} requests/s`, {
      sources: a.heavy.length,
      rps: heavyRps,
      share: r2(heavyShare),
      topRps: a.heavy[0]?.count ?? 0,
    });
  if (a.volume.fast >= 1 && heavyShare < 0.5 && s.sources >= 20) {
    const fig: Record<string, number> = {
      rps: n,
      baselineRps: r2(exp),
      sources: s.sources,
      baselineSources: r2(b.sources.mean),
      ratio: r2(n / Math.max(exp, 1)),
    };
    let why = `${n} requests/s from ${s.sources} sources against a baseline of ${r2(exp)}/s from ${r2(b.sources.mean)}`;
    // What told this crowd from people when nothing else in its mix did.
    if (a.composition.cookieMoved !== undefined) {
      fig.movedCookies = s.clients.moved;
      why += `, ${movedText(s)}`;
    }
    add(out, 'distributed_flood', why, fig);
  }
}

/** Unique paths (unless a sensitive route is walked: that is enumeration), unique query strings, or query parameter names nobody sent before. */
function cacheBusting({ s, w, b, a }: Second, out: VectorFinding[]): void {
  const c = a.composition;
  if ((c.pathUniqueness !== undefined || c.notFoundCrowd !== undefined) && !a.attackedClasses.includes('sensitive')) {
    const fig: Record<string, number> = {
      pathUniqueness: r2(s.pathUniqueness),
      baselineUniqueness: r2(b.pathUniq.mean),
      pathEntropy: s.entropy.path,
    };
    let why = `${pct(s.pathUniqueness)}% of paths are unique (baseline ${pct(b.pathUniq.n > 0 ? b.pathUniq.mean : 0)}%)`;
    if (c.notFoundCrowd !== undefined) {
      fig.notFound = s.notFound ?? 0;
      why += `; the origin answered ${s.notFound} of ${s.requests} requests 404 or 410 (paths that do not exist)`;
    }
    add(out, 'cache_busting', why, fig);
  } else if (c.queryUniqueness !== undefined || c.novelNames !== undefined) {
    const fig: Record<string, number> = { withQuery: w.withQuery, queryUniqueness: r2(s.queryUniqueness) };
    const why: string[] = [];
    if (c.queryUniqueness !== undefined) {
      why.push(
        `${pct(s.queryUniqueness)}% of query strings are unique (baseline ${pct(b.queryUniq.n > 0 ? b.queryUniq.mean : 0)}%)`,
      );
      fig.baselineUniqueness = r2(b.queryUniq.mean);
      fig.queryEntropy = s.entropy.query;
    }
    // Random parameter names: what tells a cache-busting tool from a site's own searches with no history at all.
    if (c.novelNames !== undefined) {
      why.push(
        `${pct(s.novelNames / Math.max(1, w.withQuery))}% of the requests with a query carry parameter names not seen in the last 10 s (random names)`,
      );
      fig.novelNames = s.novelNames;
    }
    add(out, 'cache_busting', why.join('; '), fig);
  }
}

/** The attacked route classes that are vectors of their own (CLASS_VECTORS). */
function routeClassVectors({ s, w, b, a }: Second, out: VectorFinding[]): void {
  const n = s.requests;
  for (const [idx, vector] of CLASS_VECTORS) {
    const name = ROUTE_CLASSES[idx];
    if (!a.attackedClasses.includes(name)) continue;
    const cnt = w.classes[idx];
    const fig = {
      rps: cnt,
      baselineRps: r2(b.classCount[idx].mean),
      share: r2(cnt / Math.max(1, n)),
      share4xx: r2(s.status.s4xx / Math.max(1, n)),
      pathEntropy: s.entropy.path,
      sources: s.sources,
    };
    add(
      out,
      vector,
      `${name} route: ${cnt} requests/s against a baseline of ${r2(b.classCount[idx].mean)}/s (${pct(fig.share)}% of traffic)`,
      fig,
    );
  }
}

/** Connections closed by header/body deadlines, HTTP/2 sessions closed for abuse. */
function connectionVectors({ s, w, cfg }: Second, out: VectorFinding[]): void {
  if (s.slowConnections >= cfg.slowConnections)
    add(out, 'slow_connections', `${s.slowConnections} connections/s closed by header/body deadlines`, {
      perSecond: s.slowConnections,
      sources: w.topSlow.size,
    });
  if (s.h2Abuse >= cfg.h2Abuse)
    add(
      out,
      'h2_abuse',
      `${s.h2Abuse} HTTP/2 session(s)/s closed with GOAWAY for abuse (${w.h2Glitches} glitches: resets before a response, protocol errors, control-frame floods)`,
      { sessions: s.h2Abuse, glitches: w.h2Glitches, sources: w.topH2.size },
    );
}

/**
 * Low-and-slow: a rise under the flood threshold carried by tools the site does not usually see
 * (assess.ts, evidence 'volume'), by its rate; or a steady window over the low-and-slow threshold.
 */
function lowAndSlow({ s, a, heavyShare, cfg, exp }: Second, out: VectorFinding[]): void {
  const n = s.requests;
  const c = a.composition;
  const perSourceRps = r2(n / Math.max(1, s.sources));
  const tools =
    a.evidence === 'volume' &&
    c.toolShare !== undefined &&
    a.volume.fast < 1 &&
    a.volume.slow < 1 &&
    a.volume.cls < 1 &&
    heavyShare < 0.2;
  if (tools)
    add(
      out,
      'low_and_slow',
      `${n} requests/s, ${r2(n / Math.max(exp, 1))}× the expected ${r2(exp)}/s, ${pct(c.toolShare)}% of them from tools this site does not usually see, ${s.sources} sources at ${perSourceRps} requests/s each`,
      { rps: n, baselineRps: r2(exp), toolShare: c.toolShare, sources: s.sources, perSourceRps },
    );
  else if (a.volume.slow >= 1 && a.volume.fast < 1 && a.steady && heavyShare < 0.2) {
    const win = Math.round(cfg.slowWindow / 1000);
    add(
      out,
      'low_and_slow',
      `sustained ${r2(a.volume.slow)}× the low-and-slow threshold over ${win}s from ${s.sources} sources at ${perSourceRps} requests/s each`,
      { slowScore: a.volume.slow, baselineRps: r2(exp), sources: s.sources, perSourceRps, windowSeconds: win },
    );
  }
}

/** No named vector (or only a walk, without a flood): a distributed flood by behaviour, distress or a changed mix. */
function otherwise({ s, a, exp }: Second, out: VectorFinding[]): void {
  const n = s.requests;
  if (a.evidence === 'behaviour' || a.evidence === 'distress')
    add(out, 'distributed_flood', cookieReason(s, a), {
      rps: n,
      sources: s.sources,
      noCookieShare: r2((s.clients.fresh + s.clients.ignored) / Math.max(1, n)),
      ignoredShare: r2(s.clients.ignored / Math.max(1, n)),
      checkIgnored: s.clients.checkIgnored,
      formFresh: s.clients.formFresh,
      assetlessShare: r2(s.clients.assetless / Math.max(1, n)),
      cookieChecks: s.clients.checked,
      checksFollowed: s.clients.checkFollowed,
      movedCookies: s.clients.moved,
      freshShare: r2(s.clients.fresh / Math.max(1, n)),
      originMs: s.originMs,
      share5xx: r2(s.status.s5xx / Math.max(1, n)),
    });
  else if (out.length === 0)
    add(
      out,
      'distributed_flood',
      `traffic ${r2(Math.max(a.volume.fast, a.volume.cls))}× the flood threshold with a changed mix`,
      { rps: n, baselineRps: r2(exp), sources: s.sources, ratio: r2(n / Math.max(exp, 1)) },
    );
}

/** The second's requests carrying a seen cookie given to a User-Agent of another shape, in words. */
function movedText(s: SecondSample): string {
  return `${pct(s.clients.moved / Math.max(1, s.requests))}% carrying a cookie that was given to another browser or system`;
}

/** Why a second with no learned volume to compare with was called an attack. */
function cookieReason(s: SecondSample, a: Assessment): string {
  const n = Math.max(1, s.requests);
  const parts = [`${s.requests} requests/s from ${s.sources} sources`];
  if (s.clients.ignored > 0)
    parts.push(`${pct(s.clients.ignored / n)}% from clients that drop the cookie they were given`);
  if (s.clients.fresh > 0) parts.push(`${pct(s.clients.fresh / n)}% first requests of new clients`);
  if (s.clients.checkIgnored > 0)
    parts.push(`${s.clients.checkIgnored}/s back at the cookie check without the cookie it gave them`);
  if (s.clients.formFresh > 0) parts.push(`${s.clients.formFresh}/s form posts sent as their client's first request`);
  if (s.clients.moved > 0) parts.push(movedText(s));
  if (a.composition.checkUnfollowed !== undefined)
    parts.push(
      `${s.clients.checked}/s cookie checks sent to new browser-claiming clients, ${s.clients.checkFollowed}/s requests back with the cookie (a browser follows at once)`,
    );
  if (a.evidence === 'distress' && s.clients.assetless > 0)
    parts.push(`${pct(s.clients.assetless / n)}% pages from clients that never loaded a page's assets`);
  if (a.evidence === 'distress')
    parts.push(
      `while the origin is in distress (${s.originMs} ms, ${pct(s.status.s5xx / n)}% 5xx, ${s.families.origin ?? 0} shed, ${s.queued ?? 0} queued for a slot)`,
    );
  return parts.join(', ');
}
