// The incident report model's shape: what buildReport (report.ts) fills from a
// stored record and its samples, and what the Markdown, HTML and JSON
// renderings show. Types only; the JSON rendering is this shape, key order
// included, so fields are never reordered here.
import type { Classification } from './classify.js';
import type { IncidentRecord, MitigationEntry } from './incidents-types.js';
import type { ExposureSection } from './report-exposure.js';

export interface ShareTableRow {
  key: string;
  name: string;
  requests: number;
  requestShare: number;
  sources: number;
  sourceShare: number;
}

export interface ReportModel {
  id: string;
  generatedAt: string;
  status: 'open' | 'closed';
  start: string;
  end: string | null;
  durationS: number;
  verdict: string;
  classification: Classification | null;
  baseline: IncidentRecord['baseline'];
  totals: IncidentRecord['totals'];
  /** Global totals with this node's own beside (shared state), else null. */
  scope: IncidentRecord['scope'] | null;
  enforcement: string;
  vectors: IncidentRecord['vectors'];
  /** Per second: received, and what became of it (forwarded + cache + challenged + refused + shed + unaccounted = received). */
  timeline: {
    t: number[];
    requests: number[];
    forwarded: number[];
    cache: number[];
    challenged: number[];
    refused: number[];
    shed: number[];
    unaccounted: number[];
    verifiedServedPct: (number | null)[];
  };
  /** Every request of the stored samples accounted for (the headline's figures). */
  accounting: AccountingRow;
  top: IncidentRecord['top'];
  routeClasses: { name: string; requests: number; share: number }[];
  attribution: {
    countries: ShareTableRow[];
    asns: ShareTableRow[];
    unknownCountry: { requests: number; sources: number };
    unknownAsn: { requests: number; sources: number };
    requests: number;
    sources: number;
    asnError: number;
    sourceError: number;
    sourcesUpperBound: boolean;
    sourceNote: string;
  } | null;
  caveat: string;
  licences: string[];
  mitigations: (MitigationEntry & { forwardedBefore: number | null; forwardedAfter: number | null })[];
  escalations: IncidentRecord['escalations'];
  impact: { verified: ImpactRow; others: ImpactRow };
  exposure: ExposureSection;
  statement: string[];
  notes: string[];
}

export interface AccountingRow {
  received: number;
  forwarded: number;
  cache: number;
  challenged: number;
  shed: number;
  refused: number;
  /** Refused requests per rule family (ban, limit, mitigate, mode, origin, other, unanswered), non-zero ones. */
  refusedBy: Record<string, number>;
  /** Requests of seconds stored without outcomes (older versions): never spread over the others. */
  unaccounted: number;
  seconds: number;
}

export interface ImpactRow {
  servedBeforePct: number | null;
  servedDuringPct: number | null;
  latencyBeforeMs: number | null;
  latencyDuringMs: number | null;
  requestsDuring: number;
}

/** One row of the impact table (Markdown and HTML): who, served before and during, latency before and during, requests. */
export function impactRow(who: string, r: ReportModel['impact']['verified']): (string | number | null)[] {
  return [
    who,
    r.servedBeforePct === null ? '—' : `${r.servedBeforePct}%`,
    r.servedDuringPct === null ? '—' : `${r.servedDuringPct}%`,
    r.latencyBeforeMs,
    r.latencyDuringMs,
    r.requestsDuring,
  ];
}
