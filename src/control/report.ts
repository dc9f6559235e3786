// The incident report model: everything a press office or a CERT needs, built
// from one stored record and its samples (pure), then rendered as Markdown,
// one self-contained HTML file, or JSON (the model itself). Claims only what
// the figures support; the attribution caveat is always part of the model.
// The shape is report-model.ts; its sentences report-statement.ts.
import { outcomeSum, refusedOf } from './accounting.js';
import { REFUSED_FAMILIES } from '../core/outcome.js';
import { RampartError } from '../core/errors.js';
import { classifyRecord } from './incidents-classify.js';
import type { IncidentRecord, Sample, ShareRowLike } from './incidents-types.js';
import { checkReport } from './report-check.js';
import { exposureSection } from './report-exposure.js';
import type { AccountingRow, ImpactRow, ReportModel, ShareTableRow } from './report-model.js';
import { ATTRIBUTION_CAVEAT, sourceNote, statementOf } from './report-statement.js';

export const REPORT_FORMATS = ['md', 'html', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

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
  for (const s of samples) {
    if (s.t >= from && s.t < to) {
      sum += f(s);
      secs += s.seconds || 1;
    }
  }
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
  const { timeline, accounting } = timelineOf(samples);
  // The grade is figured from the record as it is now (the stored one may predate its last samples).
  const classification = r.classification ? classifyRecord(r) : null;
  const model: ReportModel = {
    id: r.id,
    generatedAt: iso(now),
    status: r.status,
    start: iso(r.startedAt),
    end: r.endedAt === null ? null : iso(r.endedAt),
    durationS: Math.max(1, Math.round((end - r.startedAt) / 1000)),
    verdict: classification?.verdict ?? 'not classified yet',
    classification,
    baseline: r.baseline,
    totals: r.totals,
    scope: r.scope ?? null,
    enforcement: r.enforcement,
    vectors: r.vectors,
    timeline,
    accounting,
    top: r.top,
    routeClasses: routeClassRows(r.routeClasses),
    attribution: attributionSection(r.attribution),
    caveat: ATTRIBUTION_CAVEAT,
    licences: r.licences,
    mitigations: r.mitigations.map((m) => ({
      ...m,
      forwardedBefore: meanOver(samples, m.at - 10_000, m.at, (s) => s.forwarded),
      forwardedAfter: meanOver(samples, m.at + 1000, m.at + 11_000, (s) => s.forwarded),
    })),
    escalations: r.escalations,
    impact: { verified: impactRow(r, 'verified'), others: impactRow(r, 'others') },
    exposure: exposureSection(r.exposure),
    statement: [],
    notes: r.notes,
  };
  model.statement = statementOf(model);
  // In tests every report made is checked (docs/evidence.md, "Checking a report").
  if (opts.check ?? process.env.RAMPART_TEST === '1') throwIfInvalid(r, samples, model);
  return model;
}

/** Per second, what became of the requests received; and their sums over the samples (the headline's account). */
function timelineOf(samples: readonly Sample[]): { timeline: ReportModel['timeline']; accounting: AccountingRow } {
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
    addToAccounting(acc, s, o, un);
  }
  return { timeline: tl, accounting: acc };
}

function addToAccounting(acc: AccountingRow, s: Sample, o: Record<string, number>, unaccounted: number): void {
  acc.received += s.requests;
  acc.forwarded += o.forwarded ?? 0;
  acc.cache += o.cache ?? 0;
  acc.challenged += o.challenged ?? 0;
  acc.shed += o.shed ?? 0;
  acc.unaccounted += unaccounted;
  acc.seconds += s.seconds || 1;
  for (const f of REFUSED_FAMILIES) {
    if (!o[f]) continue;
    acc.refusedBy[f] = (acc.refusedBy[f] ?? 0) + o[f];
    acc.refused += o[f];
  }
}

function routeClassRows(classes: IncidentRecord['routeClasses']): ReportModel['routeClasses'] {
  const classTotal = Object.values(classes).reduce((a, b) => a + b, 0);
  return Object.entries(classes)
    .filter(([, v]) => v > 0)
    .sort((x, y) => y[1] - x[1])
    .map(([name, requests]) => ({ name, requests, share: classTotal > 0 ? pct1(requests / classTotal) : 0 }));
}

function attributionSection(a: IncidentRecord['attribution']): ReportModel['attribution'] {
  if (!a) return null;
  return {
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
  };
}

/** Served share and origin latency of one client group, the minute before against the incident. */
function impactRow(r: IncidentRecord, k: 'verified' | 'others'): ImpactRow {
  const figures = (b: { requests: number; served: number; originMsSum: number; originCount: number }) => ({
    served: b.requests > 0 ? pct1(b.served / b.requests) : null,
    ms: b.originCount > 0 ? Math.round(b.originMsSum / b.originCount) : null,
  });
  const b = figures(r.impact.before[k]);
  const d = figures(r.impact.during[k]);
  return {
    servedBeforePct: b.served,
    servedDuringPct: d.served,
    latencyBeforeMs: b.ms,
    latencyDuringMs: d.ms,
    requestsDuring: r.impact.during[k].requests,
  };
}

function throwIfInvalid(r: IncidentRecord, samples: readonly Sample[], model: ReportModel): void {
  const problems = checkReport(r, samples, model);
  if (problems.length === 0) return;
  throw new RampartError(
    'E_REPORT_INVALID',
    `report of ${r.id} fails its checks: ${problems.join('; ')}`,
    'internal',
    'a figure of the report does not add up: see src/control/report-check.ts',
  );
}

export function renderJson(m: ReportModel): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
