// The shapes the incident store keeps: one IncidentRecord per incident (JSON
// in SQLite) and one Sample per second. Plain data; the recorder builds them
// from detector events, the report reads them. Not behaviour.
import type { IncidentTotals } from '../detector/events.js';
import type { Classification } from './classify.js';
import type { ExposureSnapshot } from './exposure.js';

export interface Sample {
  t: number;
  /** Seconds this sample covers (1, or 10 after downsampling). */
  seconds: number;
  mode: string;
  requests: number;
  forwarded: number;
  refused: number;
  sources: number;
  originMs: number;
  verifiedReq: number;
  verifiedServed: number;
  verifiedMs: number;
  othersReq: number;
  othersServed: number;
  othersMs: number;
  /** With shared state: this node's (worker's) own figures; requests/forwarded/refused above are then the global sums. */
  localRequests?: number;
  localForwarded?: number;
  localRefused?: number;
  /**
   * What became of the second's requests (core/outcome.ts): forwarded, cache,
   * challenged, shed and refused by family, adding up to `requests` (the
   * global sums when those are, this node's own in `localOutcomes`). Absent:
   * not known (an older version, or a second the detector's figures missed).
   */
  outcomes?: Record<string, number>;
  localOutcomes?: Record<string, number>;
}

/** Every request of the incident's stored samples accounted for: received = the sum of the outcomes + unaccounted. */
export interface Accounting {
  seconds: number;
  received: number;
  outcomes: Record<string, number>;
  /** Requests of samples that carry no outcomes (shown as such, never spread over the others). */
  unaccounted: number;
  peakRps: number;
}

export interface ScopeTotals {
  requests: number;
  refused: number;
  forwarded: number;
  peakRps: number;
}

export interface ImpactTotals {
  requests: number;
  served: number;
  originMsSum: number;
  originCount: number;
}

export interface ShareRowLike {
  key: string;
  requests: number;
  sources: number;
  name?: string;
}

export interface AttributionRecord {
  requests: number;
  sources: number;
  unknownCountry: { requests: number; sources: number };
  unknownAsn: { requests: number; sources: number };
  countries: ShareRowLike[];
  asns: ShareRowLike[];
  asnError: number;
  /** 0: sources counted; else the relative standard error of the total (a merged sample). */
  sourceError?: number;
  /** Per-key sources summed over workers (no samples to merge): upper bounds. */
  sourcesUpperBound?: boolean;
}

export interface TopItem {
  label: string;
  count: number;
  share: number;
  lift?: number;
}

export interface MitigationEntry {
  at: number;
  kind: string;
  rule: string;
  level: number;
  target: string;
  until: number;
  reason: string;
  figures: Record<string, number>;
  applied: boolean;
}

export interface IncidentRecord {
  id: string;
  status: 'open' | 'closed';
  startedAt: number;
  endedAt: number | null;
  lastSeenAt: number;
  enforcement: string;
  vectors: { vector: string; reason: string; figures: Record<string, number> }[];
  baseline: { rps: number; rpsStd: number; sources: number; originMs: number; warm: boolean; learnedSeconds: number };
  /** The detector's figures of the whole incident, as it closed them. */
  totals: IncidentTotals;
  top: { sources: TopItem[]; prefixes: TopItem[]; fingerprints: TopItem[]; paths: TopItem[] };
  routeClasses: Record<string, number>;
  mitigations: MitigationEntry[];
  escalations: { at: number; from: string; to: string; reason: string; applied: boolean }[];
  impact: {
    before: { verified: ImpactTotals; others: ImpactTotals; seconds: number };
    during: { verified: ImpactTotals; others: ImpactTotals };
  };
  indicators: {
    uaEntropy: number;
    fingerprintEntropy: number;
    browserLike: number;
    unverified: number;
    challengesSolved: number;
    challengesIssued: number;
    resurgedSeconds: number;
    bursts: number;
    peakAfterMitigation: number;
  };
  attribution: AttributionRecord | null;
  exposure: ExposureSnapshot | null;
  classification: Classification | null;
  /** Geo data licences in force when recorded. */
  licences: string[];
  notes: string[];
  /**
   * With shared state (redis, cluster): totals.requests/refused/forwarded/peakRps
   * are sums over every node and worker (global per-second counts, `seconds`
   * of them known); `local` keeps this node's own detector figures.
   */
  scope?: { seconds: number; globalSeconds: number; global: ScopeTotals; local: ScopeTotals };
  /** Sums of the stored samples: the headline's requests, forwarded, refused and peak come from here. */
  accounting?: Accounting;
  /** The process recording it: another live process's open incident is never resumed or closed by this one. */
  owner?: { pid: number; host: string };
}
