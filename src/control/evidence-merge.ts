// Pure merges of cluster workers' evidence parts (attribution, exposure,
// impact) into the one view the recording worker writes. Not the transport
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
import { distinctOfBits, type ExposurePart, type ExposureRow, type ExposureSnapshot } from './exposure.js';
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

const addTotals = (a: ImpactTotals, b: ImpactTotals) => (
  (a.requests += b.requests), (a.served += b.served), (a.originMsSum += b.originMsSum), (a.originCount += b.originCount)
);
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
      if (e) (e.requests += r.requests), (e.sources += r.sources);
      else m.set(r.key, { key: r.key, requests: r.requests, sources: r.sources });
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
  const req = (k: 'unknownCountry' | 'unknownAsn') => snaps.reduce((n, s) => n + s[k].requests, 0);
  const base = {
    requests: snaps.reduce((n, s) => n + s.requests, 0),
    asnError: snaps.reduce((n, s) => n + s.asnError, 0),
  };
  if (samples.every((x): x is Uint32Array => x !== null)) {
    const m = mergeSamples(samples, SOURCE_SAMPLE_K);
    const bounded = (est: number, of: (s: AttributionSnapshot) => number) => {
      if (!m.saturated) return est;
      let lo = 0;
      let hi = 0;
      for (const s of snaps) (lo = Math.max(lo, of(s))), (hi += of(s));
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
      requests: req('unknownCountry'),
      sources: bounded(m.byA.get(0) ?? 0, (s) => s.unknownCountry.sources),
    };
    const unknownAsn = {
      requests: req('unknownAsn'),
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
      ...base,
      sources,
      unknownCountry,
      unknownAsn,
      countries,
      asns,
      sourceError: m.saturated ? bottomKError(SOURCE_SAMPLE_K) : 0,
    };
  }
  const summed = snaps.reduce((n, s) => n + s.sources, 0);
  const sources = unionCount(parts.map((p) => p.sketch)) ?? summed;
  const unknown = (k: 'unknownCountry' | 'unknownAsn') => ({
    requests: req(k),
    sources: Math.min(
      sources,
      snaps.reduce((n, s) => n + s[k].sources, 0),
    ),
  });
  return {
    ...base,
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

const BITMAP_WORDS = 16;

/**
 * Exposure watches of every worker as one. Rows are merged by `who` (a client
 * address, or a /24): requests, 2xx/4xx/5xx and verified are sums; distinct
 * IDs come from the OR of the rows' ID bitmaps (a record read through both
 * workers counts once); meanBytes is weighted by requests; longestWalk is the
 * max of the workers' walks, a LOWER bound (a walk split between workers is
 * seen as fragments by each); flags are the union, and `enumeration` is set
 * again from the merged distinct count. The total distinct IDs: the union of
 * the HLL sketches. Rows outside a worker's top list are not in its part.
 */
export function mergeExposure(parts: readonly ExposurePart[], limit = 100): ExposureSnapshot | null {
  if (parts.length === 0) return null;
  const snaps = parts.map((p) => p.snapshot);
  const threshold = snaps[0].enumerationThreshold;
  const sum = (f: (s: ExposureSnapshot) => number) => snaps.reduce((n, s) => n + f(s), 0);
  const ok = sum((s) => s.ok);
  return {
    requests: sum((s) => s.requests),
    ok,
    verifiedRequests: sum((s) => s.verifiedRequests),
    verifiedOk: sum((s) => s.verifiedOk),
    unverifiedOk: sum((s) => s.unverifiedOk),
    distinctIds:
      ok === 0 ? 0 : Math.max(1, unionCount(parts.map((p) => p.ids)) ?? Math.max(...snaps.map((s) => s.distinctIds))),
    meanBytes: ok > 0 ? Math.round(sum((s) => s.meanBytes * s.ok) / ok) : 0,
    clients: mergeRows(
      parts.map((p) => ({ rows: p.snapshot.clients, bits: p.clientBits })),
      limit,
      threshold,
    ),
    prefixes: mergeRows(
      parts.map((p) => ({ rows: p.snapshot.prefixes, bits: p.prefixBits })),
      Math.ceil(limit / 2),
      threshold,
    ),
    templates: [...new Set(snaps.flatMap((s) => s.templates ?? []))],
    tracked: sum((s) => s.tracked),
    dropped: sum((s) => s.dropped),
    enumerationThreshold: threshold,
  };
}

function mergeRows(
  lists: readonly { rows: readonly ExposureRow[]; bits: readonly Uint32Array[] }[],
  limit: number,
  threshold: number,
): ExposureRow[] {
  const m = new Map<string, { row: ExposureRow; bytes: number; bits: Uint32Array | null }>();
  for (const l of lists) {
    for (let i = 0; i < l.rows.length; i++) {
      const r = l.rows[i];
      const b = l.bits[i]?.length === BITMAP_WORDS ? l.bits[i] : null;
      const e = m.get(r.who);
      if (!e) {
        m.set(r.who, {
          row: { ...r, flags: r.flags.slice() },
          bytes: r.meanBytes * r.requests,
          bits: b ? b.slice() : null,
        });
        continue;
      }
      const x = e.row;
      x.requests += r.requests;
      x.ok += r.ok;
      x.s4xx += r.s4xx;
      x.s5xx += r.s5xx;
      x.verified += r.verified;
      x.longestWalk = Math.max(x.longestWalk, r.longestWalk);
      x.distinctIds = Math.max(x.distinctIds, r.distinctIds); // without bitmaps: the max, a lower bound
      e.bytes += r.meanBytes * r.requests;
      for (const f of r.flags) if (!x.flags.includes(f)) x.flags.push(f);
      if (e.bits && b) for (let w = 0; w < BITMAP_WORDS; w++) e.bits[w] |= b[w];
      else e.bits = null;
    }
  }
  const out: ExposureRow[] = [];
  for (const { row, bytes, bits } of m.values()) {
    if (bits) row.distinctIds = distinctOfBits(bits);
    row.meanBytes = row.requests > 0 ? Math.round(bytes / row.requests) : 0;
    if (row.distinctIds >= threshold && !row.flags.includes('enumeration')) row.flags.unshift('enumeration');
    out.push(row);
  }
  out.sort((a, b) => b.distinctIds - a.distinctIds || b.requests - a.requests);
  return out.slice(0, limit);
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
