// Words and payloads of alerts: one summary line per phase (start, escalation,
// end) with the figures behind it, as generic JSON or Slack-compatible
// `{ "text": … }`. Pure functions of detector-shaped events; no I/O.
import type { IncidentTotals } from '../detector/events.js';

/** The detector events alerts react to (structurally the detector's own types). */
export type AlertEvent =
  | {
      type: 'attack_start';
      incidentId: string;
      at: number;
      mode: string;
      enforcement: string;
      vectors: readonly { vector: string; reason: string }[];
      sample: { requests: number; sources: number; refused: number };
      baseline: { rps: number };
    }
  | { type: 'escalation'; incidentId: string; at: number; from: string; to: string; reason: string; applied: boolean }
  | {
      type: 'attack_end';
      incidentId: string;
      at: number;
      startedAt: number;
      durationMs: number;
      vectors: readonly string[];
      totals: Omit<IncidentTotals, 'seconds'>;
    };

export type Phase = 'attack_start' | 'escalation' | 'attack_end';

export interface Alert {
  phase: Phase;
  incidentId: string;
  at: string;
  /** The summary verdict in one line. */
  summary: string;
  /** Where to read more (the dashboard or the incident report), when known. */
  link: string;
  event: AlertEvent;
}

const RANK: Record<string, number> = { normal: 0, recovering: 1, elevated: 2, under_attack: 3 };

/** Escalations alert only when the mode goes up (a step down is told by attack_end). */
export function isUpward(from: string, to: string): boolean {
  return (RANK[to] ?? 0) > (RANK[from] ?? 0);
}

const n = (x: number): string =>
  x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e4 ? `${Math.round(x / 1000)}k` : String(Math.round(x));
const pct = (a: number, b: number): string => (b > 0 ? `${Math.round((100 * a) / b)}%` : '0%');

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
      : `${s}s`;
}

export function summarize(e: AlertEvent): string {
  switch (e.type) {
    case 'attack_start': {
      const what = e.vectors.length
        ? e.vectors.map((v) => v.vector.replace(/_/g, ' ')).join(' + ')
        : 'unclassified anomaly';
      const shadow = e.enforcement === 'observe' ? ' (observe only: nothing enforced)' : '';
      return `Attack started (incident ${e.incidentId}): ${what} — ${n(e.sample.requests)} req/s from ${n(e.sample.sources)} sources against a baseline of ${n(e.baseline.rps)} req/s; ${pct(e.sample.refused, e.sample.requests)} refused; mode ${e.mode}${shadow}.`;
    }
    case 'escalation':
      return `Mode ${e.from} → ${e.to} (incident ${e.incidentId || 'none'}): ${e.reason}${e.applied ? '' : ' (observe only: not applied)'}.`;
    case 'attack_end': {
      const t = e.totals;
      return `Attack ended (incident ${e.incidentId}) after ${duration(e.durationMs)}: ${n(t.requests)} requests, ${pct(t.refused, t.requests)} refused, ${n(t.forwarded)} reached the origin; peak ${n(t.peakRps)} req/s from ${n(t.peakSources)} sources (${n(t.distinctSources)} distinct); ${t.bans} bans, ${t.mitigations} mitigations.`;
    }
  }
}

export function toAlert(e: AlertEvent, link: string): Alert {
  return {
    phase: e.type,
    incidentId: e.incidentId,
    at: new Date(e.at).toISOString(),
    summary: summarize(e),
    link,
    event: e,
  };
}

export function payload(a: Alert, format: 'json' | 'slack'): string {
  if (format === 'slack')
    return JSON.stringify({
      text: a.link ? `:rotating_light: ${a.summary} <${a.link}|details>` : `:rotating_light: ${a.summary}`,
    });
  return JSON.stringify({ source: 'rampart', ...a });
}
