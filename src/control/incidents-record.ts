// Pieces of an IncidentRecord built from detector events: a fresh record, a
// second's sample, vectors and mitigations as the record keeps them, and the
// attribution of a resumed incident added to what it held. Pure helpers of the
// recorder (incidents-recorder.ts); not its lifecycle. Top lists hold 20 rows.
import type { Mitigation } from '../core/model.js';
import type { AttributionSnapshot, ImpactSecond } from '../detector/attribution.js';
import type { DetectorEvent, Signature, SignatureItem } from '../detector/events.js';
import { zeroIncidentTotals } from '../detector/events.js';
import type { AttributionRecord, ImpactTotals, IncidentRecord, MitigationEntry, Sample } from './incidents-types.js';

export const zeroTotals = (): ImpactTotals => ({ requests: 0, served: 0, originMsSum: 0, originCount: 0 });

const top = (items: readonly SignatureItem[]) =>
  items.slice(0, 20).map((i) => ({ label: i.label, count: i.count, share: i.share, lift: i.lift }));

/** The record's top lists from one signature (an incident whose anomalous seconds added none). */
export const topsOf = (sig: Signature) => ({
  sources: top(sig.sources),
  prefixes: top(sig.prefixes),
  fingerprints: top(sig.fingerprints),
  paths: top(sig.paths),
});

export function freshRecord(id: string, at: number): IncidentRecord {
  return {
    id,
    status: 'open',
    startedAt: at,
    endedAt: null,
    lastSeenAt: at,
    enforcement: 'enforce',
    vectors: [],
    baseline: { rps: 0, rpsStd: 0, sources: 0, originMs: 0, warm: false, learnedSeconds: 0 },
    totals: zeroIncidentTotals(),
    top: { sources: [], prefixes: [], fingerprints: [], paths: [] },
    routeClasses: {},
    mitigations: [],
    escalations: [],
    impact: {
      before: { verified: zeroTotals(), others: zeroTotals(), seconds: 0 },
      during: { verified: zeroTotals(), others: zeroTotals() },
    },
    indicators: {
      uaEntropy: 0,
      fingerprintEntropy: 0,
      browserLike: 0,
      unverified: 0,
      challengesSolved: 0,
      challengesIssued: 0,
      resurgedSeconds: 0,
      bursts: 1,
      peakAfterMitigation: 0,
    },
    attribution: null,
    exposure: null,
    classification: null,
    licences: [],
    notes: [],
  };
}

export function sampleOf(
  s: {
    t: number;
    requests: number;
    forwarded: number;
    refused: number;
    sources: number;
    originMs: number;
    outcomes?: Record<string, number>;
  },
  mode: string,
): Partial<Sample> {
  return {
    t: s.t,
    mode,
    requests: s.requests,
    forwarded: s.forwarded,
    refused: s.refused,
    sources: s.sources,
    originMs: s.originMs,
    outcomes: s.outcomes ? { ...s.outcomes } : undefined,
  };
}

export function impactFields(
  imp: ImpactSecond | null,
): Pick<Sample, 'verifiedReq' | 'verifiedServed' | 'verifiedMs' | 'othersReq' | 'othersServed' | 'othersMs'> {
  if (!imp) return { verifiedReq: 0, verifiedServed: 0, verifiedMs: 0, othersReq: 0, othersServed: 0, othersMs: 0 };
  const ms = (t: ImpactTotals) => (t.originCount > 0 ? Math.round(t.originMsSum / t.originCount) : 0);
  return {
    verifiedReq: imp.verified.requests,
    verifiedServed: imp.verified.served,
    verifiedMs: ms(imp.verified),
    othersReq: imp.others.requests,
    othersServed: imp.others.served,
    othersMs: ms(imp.others),
  };
}

export function mergeVectors(
  old: IncidentRecord['vectors'],
  now: readonly { vector: string; reason: string; figures: Record<string, number> }[],
): IncidentRecord['vectors'] {
  const out = old.slice();
  for (const v of now) {
    const i = out.findIndex((x) => x.vector === v.vector);
    const entry = { vector: v.vector, reason: v.reason, figures: { ...v.figures } };
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

/** A mitigation's match in words: every list and narrowing flag it has (the reason says why). */
export function describeMatch(m: { match: Mitigation['match'] } | null): string {
  if (!m) return '';
  const x = m.match;
  const parts: string[] = [];
  if (x.prefixKeys.length) parts.push(`${x.prefixKeys.length} prefixes`);
  if (x.fingerprints.length) parts.push(`fingerprints ${x.fingerprints.map((f) => (f >>> 0).toString(16)).join(', ')}`);
  if (x.routeClasses.length) parts.push(`route classes ${x.routeClasses.join(', ')}`);
  if (x.paths.length) parts.push(`paths ${x.paths.join(', ')}`);
  if (x.unverifiedOnly) parts.push('unverified clients');
  if (x.newSince) parts.push(`first seen since ${new Date(x.newSince).toISOString()}`);
  if (x.newSince && x.sparesPersons) parts.push("except those that loaded a page's assets");
  if (x.cookieless) parts.push('without the seen cookie');
  if (x.novelNames) parts.push('a query parameter name not seen lately');
  if (x.moved) parts.push('cookie jars that moved between User-Agents');
  return parts.join('; ') || 'all requests';
}

/** A mitigation event as the record lists it (its target: a ban's, or the mitigation's match described). */
export function mitigationEntry(e: Extract<DetectorEvent, { type: 'mitigation' }>): MitigationEntry {
  const a = e.action;
  return {
    at: e.at,
    kind: a.kind,
    rule: a.rule,
    level: a.level,
    target: a.ban?.target ?? describeMatch(a.mitigation),
    until: a.ban?.until ?? a.mitigation?.until ?? 0,
    reason: a.reason,
    figures: a.figures,
    applied: a.applied,
  };
}

/** A resumed incident's attribution: what it held before the restart plus this stretch's (rows summed by key). */
export function addAttribution(
  prior: AttributionRecord | null,
  s: AttributionSnapshot,
  asnName?: (asn: number) => string,
): AttributionRecord {
  const named = (rows: { key: string; requests: number; sources: number }[]) =>
    rows.map((r) => ({ ...r, name: asnName ? asnName(Number(r.key.slice(2))) : '' }));
  const cur: AttributionRecord = { ...s, countries: s.countries.map((r) => ({ ...r })), asns: named(s.asns) };
  if (!prior) return cur;
  const add = (a: AttributionRecord['countries'], b: AttributionRecord['countries']) => {
    const m = new Map(a.map((r) => [r.key, { ...r }]));
    for (const r of b) {
      const e = m.get(r.key);
      if (e) {
        e.requests += r.requests;
        e.sources += r.sources;
      } else m.set(r.key, { ...r });
    }
    return [...m.values()].sort((x, y) => y.requests - x.requests);
  };
  return {
    requests: prior.requests + cur.requests,
    sources: prior.sources + cur.sources,
    unknownCountry: {
      requests: prior.unknownCountry.requests + cur.unknownCountry.requests,
      sources: prior.unknownCountry.sources + cur.unknownCountry.sources,
    },
    unknownAsn: {
      requests: prior.unknownAsn.requests + cur.unknownAsn.requests,
      sources: prior.unknownAsn.sources + cur.unknownAsn.sources,
    },
    countries: add(prior.countries, cur.countries),
    asns: add(prior.asns, cur.asns),
    asnError: Math.max(prior.asnError, cur.asnError),
  };
}

type AttackUpdate = Extract<DetectorEvent, { type: 'attack_update' }>;

/** Entropy peaks of the anomalous seconds, and the most surges a pulse wave showed. */
export function foldIndicators(r: IncidentRecord, e: AttackUpdate): void {
  const s = e.sample;
  const ind = r.indicators;
  if (s.score >= 1) {
    ind.uaEntropy = Math.max(ind.uaEntropy, s.entropy.ua);
    ind.fingerprintEntropy = Math.max(ind.fingerprintEntropy, s.entropy.fingerprint);
  }
  const pw = e.vectors.find((v) => v.vector === 'pulse_wave');
  if (pw) ind.bursts = Math.max(ind.bursts, pw.figures.bursts ?? 1);
}

/** Adaptation: ≥ 3 s after the first applied mitigation, the attack is still at half its peak and mostly gets through. */
export function countResurgence(r: IncidentRecord, e: AttackUpdate): void {
  const s = e.sample;
  const firstApplied = r.mitigations.find((x) => x.applied);
  if (
    firstApplied &&
    s.t >= firstApplied.at + 3000 &&
    s.score >= 1 &&
    s.requests >= 0.5 * r.totals.peakRps &&
    s.refused < 0.5 * s.requests
  )
    r.indicators.resurgedSeconds++;
}

/** A tick without a second from the detector: no traffic, the impact figures alone. */
export function emptySecond(t: number): Partial<Sample> {
  return { t, mode: 'elevated', requests: 0, forwarded: 0, refused: 0, sources: 0, originMs: 0, outcomes: {} };
}
