// The closed second as a plain sample: the open window's counters, sketches
// and histograms read into the SecondSample that scoring, events and history
// use. Not the window itself (window.ts) nor the scoring (assess.ts). Runs
// once a second (tick); allocates the sample and its small records only.
import { outcomeRecord } from '../core/outcome.js';
import { FAMILIES, ROUTE_CLASSES, type SecondSample } from './events.js';
import { AGE_BUCKETS } from './observed.js';
import type { SecondWindow } from './window.js';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Requests whose client was first seen at most `maxAge` seconds before the window's second. */
export function sumAges(ages: Float64Array, maxAge: number): number {
  let n = 0;
  // Bucket 16 holds 16–63 s; the last (a minute and more) is never "recent".
  const last = Math.min(Math.min(maxAge, 16), AGE_BUCKETS - 2);
  for (let i = 0; i <= last; i++) n += ages[i];
  return n;
}

/** The window's second as a sample standing for second `t` (ms); its score is set once assessed. */
export function sampleOf(w: SecondWindow, t: number): SecondSample {
  const n = w.requests;
  const classes: Record<string, number> = {};
  for (let i = 0; i < ROUTE_CLASSES.length; i++) classes[ROUTE_CLASSES[i]] = w.classes[i];
  const families: Record<string, number> = {};
  for (let i = 0; i < FAMILIES.length; i++) families[FAMILIES[i]] = w.families[i];
  return {
    t,
    requests: n,
    forwarded: w.forwarded,
    refused: w.refused,
    sources: n === 0 ? 0 : Math.max(1, Math.min(n, w.sources.count())),
    newSources: w.newSources,
    status: { s2xx: w.s2xx, s3xx: w.s3xx, s4xx: w.s4xx, s5xx: w.s5xx },
    originMs: w.forwarded > 0 ? Math.round(w.originSum / w.forwarded) : 0,
    originMaxMs: w.originMax,
    classes,
    families,
    outcomes: outcomeRecord(w.outcomes),
    entropy: {
      path: round3(entropyOf(w.histPath)),
      query: round3(entropyOf(w.histQuery)),
      ua: round3(entropyOf(w.histUa)),
      fingerprint: round3(entropyOf(w.histFp)),
    },
    pathUniqueness: pathUniquenessOf(w),
    withQuery: w.withQuery,
    queryUniqueness: w.withQuery > 0 ? round3(Math.min(1, w.queries.count() / w.withQuery)) : 0,
    novelNames: w.novelNames,
    notFound: w.notFound,
    queued: w.queued,
    slowConnections: w.slow,
    clients: clientsOf(w),
    h2Abuse: w.h2,
    score: 0,
  };
}

/**
 * Distinct paths over the requests whose path was counted: a check the client follows with the same
 * request (the cookie check's 307, then the request again) counts its path once (window.ts isRecheck),
 * and once in the denominator too, or a checked crowd of random paths would look half as unique.
 */
function pathUniquenessOf(w: SecondWindow): number {
  let counted = 0;
  for (let i = 0; i < w.histPath.length; i++) counted += w.histPath[i];
  return counted > 0 ? round3(Math.min(1, w.paths.count() / counted)) : 0;
}

/** The second's requests against the seen cookie, and how many came from clients first seen in the last 15 s. */
function clientsOf(w: SecondWindow): SecondSample['clients'] {
  return {
    cookie: w.cookied,
    fresh: w.fresh,
    ignored: w.ignored,
    browserFresh: w.browserFresh,
    browserIgnored: w.browserIgnored,
    checkIgnored: w.checkIgnored,
    formFresh: w.formFresh,
    marked: w.marked,
    assetless: w.assetless,
    checked: w.checked,
    checkFollowed: w.checkFollowed,
    moved: w.moved,
    recent: sumAges(w.ages, 15),
  };
}

/** Shannon entropy of a bucket histogram, normalised to 0..1 by log2(min(buckets, n)); 0 below 8 samples. */
export function entropyOf(hist: Uint32Array): number {
  let n = 0;
  for (let i = 0; i < hist.length; i++) n += hist[i];
  if (n < 8) return 0;
  let h = 0;
  for (let i = 0; i < hist.length; i++) {
    const c = hist[i];
    if (c > 0) {
      const p = c / n;
      h -= p * Math.log2(p);
    }
  }
  return h / Math.log2(Math.min(hist.length, n));
}
