// The incident report model: everything a press office or a CERT needs, built
// from one stored record and its samples (pure), then rendered as Markdown,
// one self-contained HTML file, or JSON (the model itself). Claims only what
// the figures support; the attribution caveat is always part of the model.
import type { Classification } from './classify.js';
import { durationText } from './classify.js';
import type { IncidentRecord, MitigationEntry, Sample, ShareRowLike } from './incidents-types.js';
import { exposureSection, type ExposureSection } from './report-exposure.js';
import { outcomeSum, refusedOf } from './accounting.js';
import { REFUSED_FAMILIES } from '../core/outcome.js';
import { RampartError } from '../core/errors.js';
import { classifyRecord } from './incidents-recorder.js';
import { checkReport } from './report-check.js';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const ATTRIBUTION_CAVEAT =
  'Sources of a DDoS are usually compromised devices or proxies; where they sit does not identify who ordered the attack.';

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

const pct1 = (x: number) => Math.round(x * 1000) / 10;
const iso = (ms: number) => new Date(ms).toISOString();

function shares(rows: readonly ShareRowLike[], req: number, src: number): ShareTableRow[] {
  return rows.map((r) => ({
    key: r.key,
    name: r.name ?? '',
    requests: r.requests,
    requestShare: req > 0 ? pct1(r.requests / req) : 0,
    sources: r.sources,
    sourceShare: src > 0 ? pct1(r.sources / src) : 0,
  }));
}

function meanOver(samples: readonly Sample[], from: number, to: number, f: (s: Sample) => number): number | null {
  let sum = 0;
  let secs = 0;
  for (const s of samples) if (s.t >= from && s.t < to) (sum += f(s)), (secs += s.seconds || 1);
  return secs > 0 ? Math.round(sum / secs) : null;
}

/** `check` (default: in tests, RAMPART_TEST=1): throw when the report fails its checks (report-check.ts). */
export function buildReport(
  r: IncidentRecord,
  samples: readonly Sample[],
  now = Date.now(),
  opts: { check?: boolean } = {},
): ReportModel {
  const end = r.endedAt ?? r.lastSeenAt + 1000;
  const durationS = Math.max(1, Math.round((end - r.startedAt) / 1000));
  const tl: ReportModel['timeline'] = {
    t: [],
    requests: [],
    forwarded: [],
    cache: [],
    challenged: [],
    refused: [],
    shed: [],
    unaccounted: [],
    verifiedServedPct: [],
  };
  const acc: AccountingRow = {
    received: 0,
    forwarded: 0,
    cache: 0,
    challenged: 0,
    shed: 0,
    refused: 0,
    refusedBy: {},
    unaccounted: 0,
    seconds: 0,
  };
  for (const s of samples) {
    const k = s.seconds || 1;
    const o = s.outcomes ?? {};
    const un = Math.max(0, s.requests - outcomeSum(s.outcomes));
    tl.t.push(s.t);
    tl.requests.push(s.requests / k);
    tl.forwarded.push((o.forwarded ?? 0) / k);
    tl.cache.push((o.cache ?? 0) / k);
    tl.challenged.push((o.challenged ?? 0) / k);
    tl.refused.push(refusedOf(o) / k);
    tl.shed.push((o.shed ?? 0) / k);
    tl.unaccounted.push(un / k);
    tl.verifiedServedPct.push(s.verifiedReq > 0 ? pct1(s.verifiedServed / s.verifiedReq) : null);
    acc.received += s.requests;
    acc.forwarded += o.forwarded ?? 0;
    acc.cache += o.cache ?? 0;
    acc.challenged += o.challenged ?? 0;
    acc.shed += o.shed ?? 0;
    acc.unaccounted += un;
    acc.seconds += k;
    for (const f of REFUSED_FAMILIES)
      if (o[f]) (acc.refusedBy[f] = (acc.refusedBy[f] ?? 0) + o[f]), (acc.refused += o[f]);
  }
  const classTotal = Object.values(r.routeClasses).reduce((a, b) => a + b, 0);
  const a = r.attribution;
  const ir = (b: { requests: number; served: number; originMsSum: number; originCount: number }) => ({
    served: b.requests > 0 ? pct1(b.served / b.requests) : null,
    ms: b.originCount > 0 ? Math.round(b.originMsSum / b.originCount) : null,
  });
  const row = (k: 'verified' | 'others'): ImpactRow => {
    const b = ir(r.impact.before[k]);
    const d = ir(r.impact.during[k]);
    return {
      servedBeforePct: b.served,
      servedDuringPct: d.served,
      latencyBeforeMs: b.ms,
      latencyDuringMs: d.ms,
      requestsDuring: r.impact.during[k].requests,
    };
  };
  // The grade is figured from the record as it is now (the stored one may predate its last samples).
  const classification = r.classification ? classifyRecord(r) : null;
  const model: ReportModel = {
    id: r.id,
    generatedAt: iso(now),
    status: r.status,
    start: iso(r.startedAt),
    end: r.endedAt === null ? null : iso(r.endedAt),
    durationS,
    verdict: classification?.verdict ?? 'not classified yet',
    classification,
    baseline: r.baseline,
    totals: r.totals,
    scope: r.scope ?? null,
    enforcement: r.enforcement,
    vectors: r.vectors,
    timeline: tl,
    accounting: acc,
    top: r.top,
    routeClasses: Object.entries(r.routeClasses)
      .filter(([, v]) => v > 0)
      .sort((x, y) => y[1] - x[1])
      .map(([name, requests]) => ({ name, requests, share: classTotal > 0 ? pct1(requests / classTotal) : 0 })),
    attribution: a
      ? {
          countries: shares(a.countries, a.requests, a.sources),
          asns: shares(a.asns, a.requests, a.sources),
          unknownCountry: a.unknownCountry,
          unknownAsn: a.unknownAsn,
          requests: a.requests,
          sources: a.sources,
          asnError: a.asnError,
          sourceError: a.sourceError ?? 0,
          sourcesUpperBound: a.sourcesUpperBound === true,
          sourceNote: sourceNote(a),
        }
      : null,
    caveat: ATTRIBUTION_CAVEAT,
    licences: r.licences,
    mitigations: r.mitigations.map((m) => ({
      ...m,
      forwardedBefore: meanOver(samples, m.at - 10_000, m.at, (s) => s.forwarded),
      forwardedAfter: meanOver(samples, m.at + 1000, m.at + 11_000, (s) => s.forwarded),
    })),
    escalations: r.escalations,
    impact: { verified: row('verified'), others: row('others') },
    exposure: exposureSection(r.exposure),
    statement: [],
    notes: r.notes,
  };
  model.statement = statementOf(model);
  // In tests every report made is checked (docs/evidence.md, "Checking a report").
  if (opts.check ?? process.env.RAMPART_TEST === '1') {
    const problems = checkReport(r, samples, model);
    if (problems.length > 0)
      throw new RampartError(
        'E_REPORT_INVALID',
        `report of ${r.id} fails its checks: ${problems.join('; ')}`,
        'internal',
        'a figure of the report does not add up: see src/control/report-check.ts',
      );
  }
  return model;
}

/** The headline's account of every request: received = forwarded + cache + challenged + refused (by family) + shed. */
export function accountingText(a: AccountingRow): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const fam = Object.entries(a.refusedBy)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(', ');
  const parts = [
    `${n(a.forwarded)} forwarded to the origin`,
    `${n(a.cache)} served from cache`,
    `${n(a.challenged)} answered with a challenge`,
    `${n(a.refused)} refused${fam ? ` (${fam})` : ''}`,
    `${n(a.shed)} shed`,
  ];
  if (a.unaccounted > 0) parts.push(`${n(a.unaccounted)} not accounted for (seconds recorded without outcomes)`);
  return `${n(a.received)} requests received: ${parts.join(', ')}`;
}

/** Where the attribution's source figures are estimates, and their error. */
export function sourceNote(a: IncidentRecord['attribution'] & object): string {
  const e = a.sourceError ?? 0;
  if (a.sourcesUpperBound)
    return `Sources per country and ASN are sums over the workers that recorded them (an address seen by two counts twice there): upper bounds, capped at the ${a.sources.toLocaleString('en-US')} distinct sources of the whole (a HyperLogLog estimate, ±${pct1(e)}%).`;
  if (e <= 0)
    return 'Sources are counted: each distinct address once, in the whole and in its country and ASN, over every worker.';
  return `Sources are estimates from a uniform sample of the incident's distinct addresses merged over every worker (each counted once): ±${pct1(e)}% for the whole (one standard error), more for small rows (±${pct1(Math.min(1, e / Math.sqrt(0.1)))}% for a row of 10 %).`;
}

/** A draft factual statement: each sentence rests on a figure in the report. */
export function statementOf(m: ReportModel): string[] {
  const out: string[] = [];
  const day = m.start.slice(0, 10);
  const short = m.durationS < 600; // minutes alone would read "between 21:40 and 21:40"
  const from = m.start.slice(11, short ? 19 : 16);
  const to = m.end ? m.end.slice(11, short ? 19 : 16) : 'the time of this report (still ongoing)';
  // With global figures the baseline is one node's: the multiple compares that node's own peak with it.
  const local = m.scope && m.scope.local.peakRps > 0 ? m.scope.local.peakRps : 0;
  const mult = !(m.baseline.warm && m.baseline.rps > 0)
    ? ''
    : local > 0
      ? ` (the node that recorded this saw up to ${local.toLocaleString('en-US')}, about ${Math.round(local / m.baseline.rps)} times its usual rate of ${Math.round(m.baseline.rps)})`
      : `, about ${Math.round(m.totals.peakRps / m.baseline.rps)} times its usual rate of ${Math.round(m.baseline.rps)}`;
  out.push(
    `On ${day} between ${from} and ${to} UTC (${durationText(m.durationS)}), the site behind Rampart received up to ${m.totals.peakRps.toLocaleString('en-US')} requests per second${mult}, from about ${m.totals.distinctSources.toLocaleString('en-US')} distinct network addresses.`,
  );
  if (m.accounting.received > 0) out.push(`${accountingText(m.accounting)}.`);
  const c = m.classification;
  if (c)
    out.push(
      `Against Rampart's published rubric (docs/classification.md) this is a ${c.scale} incident of ${c.sophistication} sophistication, with ${c.confidence} confidence; the figures behind that: ${c.criteria.map((x) => x.text).join('; ')}.`,
    );
  const v = m.impact.verified;
  if (v.servedDuringPct !== null)
    out.push(
      `During the attack ${v.servedDuringPct}% of requests from verified or previously seen visitors were served${v.servedBeforePct !== null ? ` (${v.servedBeforePct}% before it)` : ''}.`,
    );
  else
    out.push(
      'No verified or previously seen visitors were active during the attack, so the effect on real users could not be measured.',
    );
  const applied = m.mitigations.filter((x) => x.applied).length;
  if (applied > 0)
    out.push(
      `Rampart applied ${applied} automatic countermeasure${applied === 1 ? '' : 's'}, listed with their reasons and times in this report.`,
    );
  if (m.enforcement === 'observe')
    out.push('Rampart ran in observe mode: it recorded what it would have refused and refused nothing.');
  const top = m.attribution?.countries.slice(0, 3) ?? [];
  if (top.length > 0)
    out.push(
      `By offline country databases, the sending addresses were located mostly in ${top.map((c) => `${c.key} (${c.sourceShare}% of addresses)`).join(', ')}. ${ATTRIBUTION_CAVEAT}`,
    );
  else out.push(ATTRIBUTION_CAVEAT);
  out.push(m.exposure.statement);
  out.push(
    'These figures describe the traffic that reached Rampart; they do not by themselves show who organised the attack or why.',
  );
  return out;
}

export function renderJson(m: ReportModel): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
