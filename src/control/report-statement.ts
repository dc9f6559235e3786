// The report's words built from its figures: the headline's account of every
// request, the note on how sources were counted, and the draft statement a
// press office can start from. Pure; each sentence rests on a figure of the
// model (report-check.ts checks that they agree).
import { durationText } from './classify.js';
import type { IncidentRecord } from './incidents-types.js';
import type { AccountingRow, ReportModel } from './report-model.js';

export const ATTRIBUTION_CAVEAT =
  'Sources of a DDoS are usually compromised devices or proxies; where they sit does not identify who ordered the attack.';

const pct1 = (x: number) => Math.round(x * 1000) / 10;

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
