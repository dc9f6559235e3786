// The report's invariants, checked every time a report is made in tests
// (RAMPART_TEST=1: buildReport throws on a problem) and by `rampart report
// --check`: shares of one table sum to ≤ 100 % (rounding aside); outcomes add
// up to what was received; per-key sources ≤ distinct sources; the grade
// follows the rubric (docs/classification.md) from its criteria; the headline
// is traceable to the stored samples; the draft statement claims nothing the
// figures do not support. Pure; O(samples + table rows).
import { levelOf, SCALES, THRESHOLDS } from './classify.js';
import { classifyRecord } from './incidents-classify.js';
import { outcomeSum, refusedOf } from './accounting.js';
import type { IncidentRecord, Sample } from './incidents-types.js';
import type { ReportModel } from './report-model.js';

/** A table's shares may pass 100 % by rounding only: 0.05 points a row (pct1 rounding), plus a little. */
const slack = (rows: number) => 0.05 * rows + 0.05;

export function checkReport(r: IncidentRecord, samples: readonly Sample[], m: ReportModel): string[] {
  const p: string[] = [];
  shares(m, p);
  outcomes(samples, m, p);
  sources(m, p);
  grade(r, m, p);
  traceable(r, samples, m, p);
  statement(m, p);
  return p;
}

function shares(m: ReportModel, p: string[]): void {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const a = m.attribution;
  if (a) {
    for (const [name, rows] of [
      ['country', a.countries],
      ['ASN', a.asns],
    ] as const) {
      const req = sum(rows.map((x) => x.requestShare));
      const src = sum(rows.map((x) => x.sourceShare));
      if (req > 100 + slack(rows.length)) p.push(`${name} table: request shares sum to ${req.toFixed(1)}% (> 100%)`);
      if (src > 100 + slack(rows.length)) p.push(`${name} table: source shares sum to ${src.toFixed(1)}% (> 100%)`);
      const r = sum(rows.map((x) => x.requests));
      if (r > a.requests) p.push(`${name} table: rows hold ${r} requests of ${a.requests}`);
    }
  }
  const rc = sum(m.routeClasses.map((x) => x.share));
  if (rc > 100 + slack(m.routeClasses.length)) p.push(`route classes: shares sum to ${rc.toFixed(1)}%`);
  for (const k of ['sources', 'prefixes', 'fingerprints', 'paths'] as const) {
    const s = sum(m.top[k].map((x) => x.share));
    if (s > 1.01) p.push(`top ${k}: shares sum to ${(s * 100).toFixed(1)}%`);
  }
}

function outcomes(samples: readonly Sample[], m: ReportModel, p: string[]): void {
  let bad = 0;
  let first = '';
  for (const s of samples) {
    if (!s.outcomes) continue;
    const n = outcomeSum(s.outcomes);
    if (n !== s.requests && bad++ === 0) first = `${new Date(s.t).toISOString()}: ${n} of ${s.requests}`;
  }
  if (bad > 0) p.push(`outcomes of ${bad} stored second(s) do not add up to the requests received (first ${first})`);
  const a = m.accounting;
  const parts = a.forwarded + a.cache + a.challenged + a.refused + a.shed + a.unaccounted;
  if (parts !== a.received)
    p.push(
      `accounting: forwarded + cache + challenged + refused + shed + unaccounted = ${parts}, received ${a.received}`,
    );
  const fam = Object.values(a.refusedBy).reduce((x, y) => x + y, 0);
  if (fam !== a.refused) p.push(`accounting: refused by family sums to ${fam}, refused ${a.refused}`);
  const tl = m.timeline;
  for (let i = 0; i < tl.t.length; i++) {
    const s = tl.forwarded[i] + tl.cache[i] + tl.challenged[i] + tl.refused[i] + tl.shed[i] + tl.unaccounted[i];
    if (Math.abs(s - tl.requests[i]) > 1e-6 * Math.max(1, tl.requests[i])) {
      p.push(`timeline ${new Date(tl.t[i]).toISOString()}: outcomes ${s} against ${tl.requests[i]} received`);
      break;
    }
  }
}

function sources(m: ReportModel, p: string[]): void {
  const a = m.attribution;
  if (!a) return;
  for (const [name, rows] of [
    ['country', a.countries],
    ['ASN', a.asns],
  ] as const) {
    for (const x of rows)
      if (x.sources > a.sources)
        p.push(`${name} ${x.key}: ${x.sources} sources, more than the ${a.sources} distinct sources of the whole`);
    const s =
      rows.reduce((n, x) => n + x.sources, 0) + (name === 'country' ? a.unknownCountry.sources : a.unknownAsn.sources);
    // Each source sits in one country and one ASN: the rows cannot hold more than the whole (ASN counts may over-estimate by asnError).
    if (s > a.sources + (name === 'ASN' ? a.asnError : 0))
      p.push(`${name} table: rows hold ${s} sources, more than the ${a.sources} distinct sources of the whole`);
  }
  if (a.unknownCountry.sources > a.sources)
    p.push(`unknown country: ${a.unknownCountry.sources} sources of ${a.sources}`);
}

/** The rubric's arithmetic from the criteria as printed: each level from its figure's band, the scale from the second highest. */
function grade(r: IncidentRecord, m: ReportModel, p: string[]): void {
  const c = m.classification;
  if (!c) return;
  const [mult, src, rate, dur, imp] = c.criteria;
  if (!mult || !src || !rate || !dur || !imp) return void p.push('classification: five scale criteria expected');
  const want = [Math.max(mult.level, rate.level), src.level, dur.level, imp.level].sort((x, y) => y - x)[1];
  if (c.level !== want)
    p.push(`grade: level ${c.level}, but two of volume, sources, duration and impact reach ${want}`);
  if (c.scale !== SCALES[c.level - 1]) p.push(`grade: scale ${c.scale} does not name level ${c.level}`);
  if (rate.level !== levelOf(m.totals.peakRps, THRESHOLDS.peakRps))
    p.push(`grade: peak rate level ${rate.level} for ${m.totals.peakRps} req/s`);
  if (src.level !== levelOf(m.totals.distinctSources, THRESHOLDS.sources))
    p.push(`grade: sources level ${src.level} for ${m.totals.distinctSources} sources`);
  if (dur.level !== levelOf(m.durationS, THRESHOLDS.durationS) && Math.abs(m.durationS - THRESHOLDS.durationS[0]) > 2)
    p.push(`grade: duration level ${dur.level} for ${m.durationS}s`);
  if (!(m.baseline.warm && m.baseline.rps > 0) && mult.level !== 1)
    p.push('grade: a multiple of baseline scored without a learned baseline');
  const v = m.impact.verified;
  if (v.servedDuringPct === null && imp.level !== 1) p.push('grade: impact scored without verified or known clients');
  // The grade as the rubric gives it from the record's own figures (impact: the change against the minute before).
  const fresh = classifyRecord(r);
  fresh.criteria.forEach((x, i) => {
    if (x.level !== c.criteria[i]?.level)
      p.push(`grade: ${x.name} level ${c.criteria[i]?.level}, the rubric gives ${x.level} (${x.text})`);
  });
  if (fresh.level !== c.level)
    p.push(`grade: level ${c.level}, the rubric gives ${fresh.level} from the record's figures`);
  if (!m.verdict.startsWith(`${c.scale}:`))
    p.push(`verdict "${m.verdict.slice(0, 60)}" does not state the scale ${c.scale}`);
  if (imp.level === 1 && v.servedDuringPct !== null && !m.verdict.includes('no user impact'))
    p.push('verdict: impact level 1 must read "no user impact"');
  if (imp.level > 1 && m.verdict.includes('no user impact'))
    p.push(`verdict claims no user impact, impact level ${imp.level}`);
}

function traceable(r: IncidentRecord, samples: readonly Sample[], m: ReportModel, p: string[]): void {
  if (!r.accounting || samples.length === 0) return;
  const a = m.accounting;
  if (m.totals.requests !== a.received)
    p.push(`headline: ${m.totals.requests} requests, the stored samples hold ${a.received}`);
  if (m.totals.forwarded !== a.forwarded)
    p.push(`headline: ${m.totals.forwarded} forwarded, the stored samples hold ${a.forwarded}`);
  if (m.totals.refused !== a.refused)
    p.push(`headline: ${m.totals.refused} refused, the stored samples hold ${a.refused}`);
  let peak = 0;
  let fine = true;
  for (const s of samples) {
    peak = Math.max(peak, s.requests / (s.seconds || 1));
    if ((s.seconds || 1) !== 1) fine = false;
  }
  if (fine ? Math.round(peak) !== m.totals.peakRps : m.totals.peakRps < Math.round(peak))
    p.push(`headline: peak ${m.totals.peakRps} req/s, the stored samples ${Math.round(peak)}`);
  if (refusedOf(r.accounting.outcomes) !== a.refused)
    p.push('record accounting and stored samples disagree on refused');
}

function statement(m: ReportModel, p: string[]): void {
  const s = m.statement.join(' ');
  if (!(m.baseline.warm && m.baseline.rps > 0) && /times (its|their) usual rate/.test(s))
    p.push('statement: a multiple of the usual rate without a learned baseline');
  const v = m.impact.verified;
  if (v.servedDuringPct === null && /visitors were served/.test(s))
    p.push('statement: an impact claim without verified or known clients');
  if (v.servedDuringPct !== null && !s.includes(`${v.servedDuringPct}% of requests`))
    p.push(`statement: the served share ${v.servedDuringPct}% is not the report's`);
  const c = m.classification;
  if (c && !s.includes(`a ${c.scale} incident`)) p.push(`statement: does not state the graded scale ${c.scale}`);
  if (!s.includes(m.totals.peakRps.toLocaleString('en-US'))) p.push("statement: the peak rate is not the headline's");
  for (const x of m.attribution?.countries.slice(0, 3) ?? [])
    if (s.includes(`${x.key} (`) && !s.includes(`${x.key} (${x.sourceShare}% of addresses)`))
      p.push(`statement: ${x.key}'s share is not the table's`);
  if (m.accounting.received > 0 && !s.includes(`${m.accounting.received.toLocaleString('en-US')} requests received`))
    p.push("statement: the requests received are not the accounting's");
  if (/launched from|ordered by|behind the attack (is|was)/i.test(s))
    p.push('statement: attributes the attack to someone');
}
