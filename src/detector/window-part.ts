// One process's closed second in a form another process can fold in: cluster
// workers export their SecondWindow at each tick and the primary's detector
// merges the parts into its open second, so one detector scores every
// worker's traffic. Counters add, HyperLogLogs take register maxima, count-min
// cells add, heavy-hitter tables are re-offered (keys, counts, labels).
// Size: ~150 KiB per part (mostly the four baseline sketches); one part per
// worker per second, never per request. Not a wire format for the network.
import { HIST, type SecondWindow } from './window.js';
import type { SpaceSaving } from '../core/space-saving.js';
import { type CrowdCount, isCrowdCount } from './crowd-walk.js';
import type { Walker } from './templates.js';

export interface TopPart {
  keys: Uint32Array;
  counts: Float64Array;
  labels: string[];
}

export interface WindowPart {
  /**
   * The epoch second a cluster worker closed (the one its traffic counts are
   * keyed by, state.addCounts), so the primary labels its sample with the
   * same second as the global sums; 0 for parts between nodes.
   */
  second: number;
  /** requests, forwarded, refused, newSources, withQuery, s2xx, s3xx, s4xx, s5xx, originSum, originMax, slow, h2, h2Glitches, cookied, fresh, ignored, browserFresh, browserIgnored, checkIgnored, formFresh, marked, assetless, checked, checkFollowed, moved, novelNames, notFound, queued */
  n: Float64Array;
  /** Requests by first-seen age of their client (window.ts AGE_BUCKETS), counted from the part's own second. */
  ages: Float64Array;
  classes: Float64Array;
  families: Float64Array;
  /** Requests per outcome (core/outcome.ts); absent from older versions. */
  outcomes?: Float64Array;
  /** histPath, histQuery, histUa, histFp, HIST each, end to end. */
  hist: Uint32Array;
  sources: Uint8Array;
  queries: Uint8Array;
  paths: Uint8Array;
  /** topSources, topPrefixes, topFps, topPaths, topShapes, topSlow, topH2, topClients. */
  tops: TopPart[];
  /** Identifier walks this process found this second (templates.ts), at most 256. */
  walkers: Walker[];
  /** Identifier counts per template this process saw this second (crowd-walk.ts), at most 32; absent from older versions. */
  crowd?: CrowdCount[];
  /** The sampled baseline sketches (prefix, fp, path, shape); null when the second sampled nothing. */
  pend: { cells: Uint32Array; total: number }[] | null;
}

const N_FIELDS = 29;
const TOPS = 8;
const tables = (w: SecondWindow): SpaceSaving[] => [
  w.topSources,
  w.topPrefixes,
  w.topFps,
  w.topPaths,
  w.topShapes,
  w.topSlow,
  w.topH2,
  w.topClients,
];
const hists = (w: SecondWindow): Uint32Array[] => [w.histPath, w.histQuery, w.histUa, w.histFp];

/**
 * The window's second as a part; null when nothing was observed (no request,
 * no slow connection, no abusive HTTP/2 session). `sketches: false` leaves out the baseline sketches
 * (128 KiB of the ~150): parts sent between nodes, where each node learns its
 * key shares from its own traffic (~20 KiB a part).
 */
export function exportPart(w: SecondWindow, withPend = true, second = 0): WindowPart | null {
  const walkers = withPend ? w.walks.drain() : [];
  const crowd = withPend ? w.walks.crowd.drain() : [];
  if (w.requests === 0 && w.slow === 0 && w.h2 === 0 && walkers.length === 0) return null;
  const n = Float64Array.of(
    w.requests,
    w.forwarded,
    w.refused,
    w.newSources,
    w.withQuery,
    w.s2xx,
    w.s3xx,
    w.s4xx,
    w.s5xx,
    w.originSum,
    w.originMax,
    w.slow,
    w.h2,
    w.h2Glitches,
    w.cookied,
    w.fresh,
    w.ignored,
    w.browserFresh,
    w.browserIgnored,
    w.checkIgnored,
    w.formFresh,
    w.marked,
    w.assetless,
    w.checked,
    w.checkFollowed,
    w.moved,
    w.novelNames,
    w.notFound,
    w.queued,
  );
  const hist = new Uint32Array(HIST * 4);
  const windowHists = hists(w);
  for (let i = 0; i < windowHists.length; i++) hist.set(windowHists[i], i * HIST);
  const tops = tables(w).map((t) => {
    const top = t.top();
    return {
      keys: Uint32Array.from(top, (h) => h.key),
      counts: Float64Array.from(top, (h) => h.count),
      labels: top.map((h) => h.label),
    };
  });
  const pendKeys = [w.pend.prefix, w.pend.fp, w.pend.path, w.pend.shape];
  const pend = withPend && pendKeys[0].total > 0 ? pendKeys.map((s) => s.exportCells()) : null;
  return {
    second,
    n,
    walkers,
    crowd,
    ages: w.ages.slice(),
    classes: w.classes.slice(),
    families: w.families.slice(),
    outcomes: w.outcomes.slice(),
    hist,
    sources: w.sources.registers(),
    queries: w.queries.registers(),
    paths: w.paths.registers(),
    tops,
    pend,
  };
}

/** True when `x` has a part's shape and types (a part from another node, decoded from bytes). */
export function isWindowPart(x: unknown): x is WindowPart {
  if (x === null || typeof x !== 'object') return false;
  const p = x as Record<string, unknown>;
  const tops = p.tops;
  return (
    typeof p.second === 'number' &&
    p.n instanceof Float64Array &&
    p.ages instanceof Float64Array &&
    p.classes instanceof Float64Array &&
    p.families instanceof Float64Array &&
    (p.outcomes === undefined || p.outcomes instanceof Float64Array) &&
    p.hist instanceof Uint32Array &&
    p.sources instanceof Uint8Array &&
    p.queries instanceof Uint8Array &&
    p.paths instanceof Uint8Array &&
    Array.isArray(tops) &&
    tops.every(
      (t: { keys?: unknown; counts?: unknown; labels?: unknown }) =>
        t !== null &&
        typeof t === 'object' &&
        t.keys instanceof Uint32Array &&
        t.keys.length <= 1024 &&
        t.counts instanceof Float64Array &&
        Array.isArray(t.labels) &&
        t.labels.length === t.keys.length &&
        t.counts.length === t.keys.length &&
        t.labels.every((l) => typeof l === 'string'),
    ) &&
    Array.isArray(p.walkers) &&
    p.walkers.length <= 256 &&
    p.walkers.every(isWalker) &&
    (p.crowd === undefined || (Array.isArray(p.crowd) && p.crowd.length <= 64 && p.crowd.every(isCrowdCount))) &&
    (p.pend === null ||
      (Array.isArray(p.pend) &&
        p.pend.every(
          (c: { cells?: unknown; total?: unknown }) =>
            c !== null && typeof c === 'object' && c.cells instanceof Uint32Array && typeof c.total === 'number',
        )))
  );
}

function isWalker(x: unknown): boolean {
  const w = x as Walker;
  return (
    w !== null &&
    typeof w === 'object' &&
    typeof w.ip === 'string' &&
    typeof w.path === 'string' &&
    w.path.length <= 2048 &&
    typeof w.ids === 'number' &&
    typeof w.run === 'number' &&
    typeof w.template === 'number' &&
    typeof w.clientKey === 'number'
  );
}

/** Folds a part into the window's open second. Throws RangeError on a part of another shape (a different version). */
export function mergePart(w: SecondWindow, p: WindowPart): void {
  if (
    p.n.length !== N_FIELDS ||
    p.ages.length !== w.ages.length ||
    p.hist.length !== HIST * 4 ||
    p.classes.length !== w.classes.length ||
    p.families.length !== w.families.length ||
    p.tops.length !== TOPS
  )
    throw new RangeError('window part of another shape');
  const n = p.n;
  if (p.second > w.partSecond) w.partSecond = p.second;
  w.requests += n[0];
  w.forwarded += n[1];
  w.refused += n[2];
  w.newSources += n[3];
  w.withQuery += n[4];
  w.s2xx += n[5];
  w.s3xx += n[6];
  w.s4xx += n[7];
  w.s5xx += n[8];
  w.originSum += n[9];
  if (n[10] > w.originMax) w.originMax = n[10];
  w.slow += n[11];
  w.h2 += n[12];
  w.h2Glitches += n[13];
  w.cookied += n[14];
  w.fresh += n[15];
  w.ignored += n[16];
  w.browserFresh += n[17];
  w.browserIgnored += n[18];
  w.checkIgnored += n[19];
  w.formFresh += n[20];
  w.marked += n[21];
  w.assetless += n[22];
  w.checked += n[23];
  w.checkFollowed += n[24];
  w.moved += n[25];
  w.novelNames += n[26];
  w.notFound += n[27];
  w.queued += n[28];
  for (let i = 0; i < p.ages.length; i++) w.ages[i] += p.ages[i];
  for (let i = 0; i < p.walkers.length && w.walkers.length < 512; i++) w.walkers.push(p.walkers[i]);
  for (let i = 0; p.crowd !== undefined && i < p.crowd.length && w.crowd.length < 256; i++) w.crowd.push(p.crowd[i]);
  for (let i = 0; i < p.classes.length; i++) w.classes[i] += p.classes[i];
  for (let i = 0; i < p.families.length; i++) w.families[i] += p.families[i];
  // A part without outcomes (an older version): its requests are left out of the outcome counts, which then fall short of `requests`.
  if (p.outcomes && p.outcomes.length === w.outcomes.length)
    for (let i = 0; i < p.outcomes.length; i++) w.outcomes[i] += p.outcomes[i];
  hists(w).forEach((h, i) => {
    for (let j = 0; j < HIST; j++) h[j] += p.hist[i * HIST + j];
  });
  w.sources.mergeRegisters(p.sources);
  w.queries.mergeRegisters(p.queries);
  w.paths.mergeRegisters(p.paths);
  tables(w).forEach((t, i) => {
    const top = p.tops[i];
    for (let j = 0; j < top.keys.length; j++) t.offer(top.keys[j], top.counts[j], top.labels[j] ?? '');
  });
  if (p.pend !== null) {
    const sketches = [w.pend.prefix, w.pend.fp, w.pend.path, w.pend.shape];
    for (let i = 0; i < sketches.length && i < p.pend.length; i++)
      sketches[i].mergeCells(p.pend[i].cells, p.pend[i].total);
  }
}
