// Pure merges of cluster workers' evidence parts (attribution, impact, the
// minute before) into the one view the recording worker writes; the exposure
// watch merges in exposure-merge.ts. Not the transport
// (exchange/evidence-peers.ts) nor the per-slot table (evidence-parts.ts). Every
// function is O(total rows) over at most a few hundred rows per worker;
// sketches are merged register-wise (HyperLogLog) or bit-wise (ID bitmaps).
import { mergeSamples, bottomKError } from '../core/bottom-k.js';
import { HyperLogLog } from '../core/hyperloglog.js';
import {
  countryOfSlot,
  SOURCE_SAMPLE_K,
  type AttributionSnapshot,
  type ImpactSecond,
  type ShareRow,
} from '../detector/attribution.js';
import type { ExposurePart } from './exposure.js';
import type { ImpactTotals } from './incidents-types.js';

/** One worker's attribution: its snapshot and, when it has one, the HLL registers of its distinct sources. */
export interface AttributionPart {
  snapshot: AttributionSnapshot;
  sketch: Uint8Array | null;
  /** Bottom-k sample of its distinct sources, [hash, country slot, asn] triples (absent from older workers). */
  sample?: Uint32Array | null;
}

/** What a cluster worker sends the recorder once a tick while an incident is open (cumulative since its epoch began). */
export interface EvidencePart {
  /** The shared incident id (incidents-ids.ts): the same in every worker. */
  incident: string;
  /** The sending process: a replacement worker in the same slot starts its counts afresh. */
  pid: number;
  attribution: AttributionPart | null;
  exposure: ExposurePart | null;
  /** Impact seconds this worker closed during the incident, summed. */
  during: ImpactSecond;
  /** This worker's impact figures of the minute before the incident. */
  before: { verified: ImpactTotals; others: ImpactTotals; seconds: number } | null;
}

export const zeroImpact = (): ImpactSecond => ({
  verified: { requests: 0, served: 0, originMsSum: 0, originCount: 0 },
  others: { requests: 0, served: 0, originMsSum: 0, originCount: 0 },
  browserLike: 0,
});

/** a += b (in place). */
export function addTotals(a: ImpactTotals, b: ImpactTotals): void {
  a.requests += b.requests;
  a.served += b.served;
  a.originMsSum += b.originMsSum;
  a.originCount += b.originCount;
}
const subTotals = (a: ImpactTotals, b: ImpactTotals): ImpactTotals => ({
  requests: Math.max(0, a.requests - b.requests),
  served: Math.max(0, a.served - b.served),
  originMsSum: Math.max(0, a.originMsSum - b.originMsSum),
  originCount: Math.max(0, a.originCount - b.originCount),
});

/** a += b (in place). */
export function addImpact(a: ImpactSecond, b: ImpactSecond): ImpactSecond {
  addTotals(a.verified, b.verified);
  addTotals(a.others, b.others);
  a.browserLike += b.browserLike;
  return a;
}

/** What cumulative `now` adds to cumulative `then` (never negative: a worker that restarted counts from zero). */
export function impactDelta(now: ImpactSecond, then: ImpactSecond): ImpactSecond {
  return {
    verified: subTotals(now.verified, then.verified),
    others: subTotals(now.others, then.others),
    browserLike: Math.max(0, now.browserLike - then.browserLike),
  };
}

/** Distinct count of the union of HLL register arrays (all of one precision); null when none is given. */
export function unionCount(sketches: readonly (Uint8Array | null)[]): number | null {
  let h: HyperLogLog | null = null;
  for (const s of sketches) {
    if (!s) return null;
    h ??= new HyperLogLog(Math.log2(s.length));
    h.mergeRegisters(s);
  }
  return h ? h.count() : null;
}

/** Rows summed by key, by requests then sources, the first `limit`; sources capped at `cap` (a row cannot hold more sources than the whole). */
function sumRows(lists: readonly (readonly ShareRow[])[], limit: number, cap: number): ShareRow[] {
  const m = new Map<string, ShareRow>();
  for (const rows of lists) {
    for (const r of rows) {
      const e = m.get(r.key);
      if (e) {
        e.requests += r.requests;
        e.sources += r.sources;
      } else m.set(r.key, { key: r.key, requests: r.requests, sources: r.sources });
    }
  }
  const out = [...m.values()].sort(
    (a, b) => b.requests - a.requests || b.sources - a.sources || (a.key < b.key ? -1 : 1),
  );
  for (const r of out) r.sources = Math.min(r.sources, cap);
  return out.slice(0, limit);
}

/**
 * Attribution of every worker as one. Requests are sums (exact). Sources are
 * unions: the workers' bottom-k samples of their distinct sources, labelled
 * with country and ASN, merged (core/bottom-k.ts): an address served by two
 * workers counts once in the total and once in its country and ASN. Exact
 * while the union holds fewer than SOURCE_SAMPLE_K sources; beyond, estimates
 * (`sourceError`), each row kept between the largest worker's count (a union
 * is at least that) and the summed counts. Without samples (older workers):
 * the total from the HyperLogLog union, per-key sources summed (an upper
 * bound, capped at the total, `sourcesUpperBound`). An ASN outside a worker's
 * top list is missing from its part: the summed ASN requests may fall short by
 * up to the summed `asnError`, which the merge reports.
 */
export function mergeAttribution(parts: readonly AttributionPart[], limit = 50): AttributionSnapshot {
  const snaps = parts.map((p) => p.snapshot);
  const samples = parts.map((p) => p.sample ?? null);
  if (samples.every((x): x is Uint32Array => x !== null)) return mergeBySamples(snaps, samples, limit);
  return mergeBySketches(parts, snaps, limit);
}

/** Summed figures every merge shares: requests and the ASN error. */
function summedBase(snaps: readonly AttributionSnapshot[]): { requests: number; asnError: number } {
  return {
    requests: snaps.reduce((n, s) => n + s.requests, 0),
    asnError: snaps.reduce((n, s) => n + s.asnError, 0),
  };
}

const unknownRequests = (snaps: readonly AttributionSnapshot[], k: 'unknownCountry' | 'unknownAsn') =>
  snaps.reduce((n, s) => n + s[k].requests, 0);

/** Every worker sent its bottom-k sample: sources are the union's, exact below SOURCE_SAMPLE_K. */
function mergeBySamples(
  snaps: readonly AttributionSnapshot[],
  samples: readonly Uint32Array[],
  limit: number,
): AttributionSnapshot {
  const m = mergeSamples(samples, SOURCE_SAMPLE_K);
  const bounded = (est: number, of: (s: AttributionSnapshot) => number) => {
    if (!m.saturated) return est;
    let lo = 0;
    let hi = 0;
    for (const s of snaps) {
      lo = Math.max(lo, of(s));
      hi += of(s);
    }
    return Math.min(m.distinct, hi, Math.max(lo, est));
  };
  const row = (rows: readonly ShareRow[], key: string) => rows.find((r) => r.key === key)?.sources ?? 0;
  const countries = sumRows(
    snaps.map((s) => s.countries),
    limit,
    m.distinct,
  );
  for (const r of countries) r.sources = bounded(m.byA.get(slotOf(r.key)) ?? 0, (s) => row(s.countries, r.key));
  const asns = sumRows(
    snaps.map((s) => s.asns),
    limit,
    m.distinct,
  );
  for (const r of asns) r.sources = bounded(m.byB.get(Number(r.key.slice(2))) ?? 0, (s) => row(s.asns, r.key));
  const unknownCountry = {
    requests: unknownRequests(snaps, 'unknownCountry'),
    sources: bounded(m.byA.get(0) ?? 0, (s) => s.unknownCountry.sources),
  };
  const unknownAsn = {
    requests: unknownRequests(snaps, 'unknownAsn'),
    sources: bounded(m.byB.get(0) ?? 0, (s) => s.unknownAsn.sources),
  };
  // Rows raised to a worker's own count (a union is at least that) may add up past the sample's estimate: the whole is at least its parts.
  const sum = (rows: readonly ShareRow[], u: { sources: number }) => rows.reduce((n, r) => n + r.sources, u.sources);
  const sources = Math.max(
    m.distinct,
    ...snaps.map((s) => s.sources),
    sum(countries, unknownCountry),
    sum(asns, unknownAsn),
  );
  return {
    ...summedBase(snaps),
    sources,
    unknownCountry,
    unknownAsn,
    countries,
    asns,
    sourceError: m.saturated ? bottomKError(SOURCE_SAMPLE_K) : 0,
  };
}

/** Some worker sent no sample (an older one): the total from the HyperLogLog union, per-key sources summed and capped. */
function mergeBySketches(
  parts: readonly AttributionPart[],
  snaps: readonly AttributionSnapshot[],
  limit: number,
): AttributionSnapshot {
  const summed = snaps.reduce((n, s) => n + s.sources, 0);
  const sources = unionCount(parts.map((p) => p.sketch)) ?? summed;
  const unknown = (k: 'unknownCountry' | 'unknownAsn') => ({
    requests: unknownRequests(snaps, k),
    sources: Math.min(
      sources,
      snaps.reduce((n, s) => n + s[k].sources, 0),
    ),
  });
  return {
    ...summedBase(snaps),
    sources,
    unknownCountry: unknown('unknownCountry'),
    unknownAsn: unknown('unknownAsn'),
    countries: sumRows(
      snaps.map((s) => s.countries),
      limit,
      sources,
    ),
    asns: sumRows(
      snaps.map((s) => s.asns),
      limit,
      sources,
    ),
    sourceError: parts.length > 1 ? 1.04 / Math.sqrt(4096) : 0, // the HyperLogLog union (p=12)
    sourcesUpperBound: parts.length > 1,
  };
}

/** The fixed country table's slot of a code ('' → 0). */
function slotOf(cc: string): number {
  for (let i = 1; i < 677; i++) if (countryOfSlot(i) === cc) return i;
  return 0;
}

type Before = EvidencePart['before'] & object;

/** The minute before the incident over every worker: sums; `seconds` is the longest worker's (they ran side by side). */
export function mergeBefore(own: Before, parts: readonly EvidencePart[]): Before {
  const out: Before = { verified: { ...own.verified }, others: { ...own.others }, seconds: own.seconds };
  for (const p of parts) {
    if (!p.before) continue;
    addTotals(out.verified, p.before.verified);
    addTotals(out.others, p.before.others);
    out.seconds = Math.max(out.seconds, p.before.seconds);
  }
  return out;
}

/** The record's note when other workers' parts are merged into it. */
export const MERGED_NOTE =
  "On this node, attribution, impact and the data-exposure watch merge every cluster worker's share (evidence parts sent to the recording worker once a second): distinct sources (in all, per country and per ASN) and record IDs are sketch unions (an address or record seen by two workers counts once); a sequential walk split between workers shows as its longest fragment; another worker's impact second is folded into the recorder's next second (boundaries approximate by < 1 s).";
