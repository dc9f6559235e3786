// The report as one self-contained HTML file: inline CSS, the timeline as
// inline SVG, no script, no external resource (opens offline, prints well).
// Pure; every value from the model is escaped.
import { type ReportModel, impactRow } from './report-model.js';
import { accountingText } from './report-statement.js';
import { DISTINCT_NOTE, EXPOSURE_HEAD, exposureRows, shareRows, SHARE_HEAD } from './report-md.js';
import { escapeXml as esc, timelineSvg } from './svg.js';

const num = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toLocaleString('en-US'));

function table(head: string[], rows: (string | number | null)[][], caption = ''): string {
  if (rows.length === 0) return `<p class="none">${caption ? `${esc(caption)}: ` : ''}none</p>`;
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const tr = rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${typeof c === 'number' ? ' class="n"' : ''}>${esc(typeof c === 'number' ? num(c) : (c ?? '—'))}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table>${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

const CSS = `body{font:15px/1.5 system-ui,sans-serif;color:#1f2937;max-width:980px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e5e7eb}
.verdict{font-size:1.1rem;background:#f3f4f6;border-left:4px solid #1d4ed8;padding:.6rem .9rem}
.caveat{background:#fff7ed;border-left:4px solid #b45309;padding:.5rem .9rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border:1px solid #e5e7eb;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:600;padding:.3rem 0}
.none{color:#6b7280}svg{max-width:100%;height:auto}footer{color:#6b7280;font-size:.85rem;margin-top:2rem}`;

export function renderHtml(m: ReportModel): string {
  return [
    headHtml(m),
    timelineHtml(m),
    classificationHtml(m),
    sourcesHtml(m),
    attributionHtml(m),
    mitigationsHtml(m),
    impactHtml(m),
    exposureHtml(m),
    closingHtml(m),
  ].join('');
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

const topRows = (xs: ReportModel['top']['prefixes'], n: number) =>
  xs.slice(0, n).map((p) => [p.label, p.count, pct(p.share)]);

function headHtml(m: ReportModel): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rampart incident ${esc(m.id)}</title><style>${CSS}</style></head><body>
<h1>Incident ${esc(m.id)}</h1>
<p class="verdict" id="verdict">${esc(m.verdict)}</p>
<ul>
<li>Window: ${esc(m.start)} → ${esc(m.end ?? 'ongoing')} (${num(m.durationS)} s)${m.status === 'open' ? ' — still open' : ''}</li>
<li>Peak ${num(m.totals.peakRps)} req/s; baseline ${m.baseline.warm ? `${num(Math.round(m.baseline.rps))} req/s ± ${num(Math.round(m.baseline.rpsStd))}` : 'not learned yet'}</li>
<li>${esc(accountingText(m.accounting))}; ${num(m.totals.distinctSources)} distinct sources (${DISTINCT_NOTE})</li>
<li>Enforcement: ${esc(m.enforcement)}; generated ${esc(m.generatedAt)}</li>
</ul>
`;
}

function timelineHtml(m: ReportModel): string {
  const chart = timelineSvg({
    title: `Incident ${m.id}: requests per second`,
    t: m.timeline.t,
    series: [
      { name: 'received', color: '#1d4ed8', values: m.timeline.requests },
      { name: 'forwarded to origin', color: '#059669', values: m.timeline.forwarded },
      { name: 'from cache', color: '#0891b2', values: m.timeline.cache },
      { name: 'challenged', color: '#7c3aed', values: m.timeline.challenged },
      { name: 'refused', color: '#dc2626', values: m.timeline.refused },
      { name: 'shed', color: '#ea580c', values: m.timeline.shed },
    ],
    markers: m.mitigations.map((x) => ({ t: x.at, label: `${x.rule}: ${x.reason}` })),
  });
  return `<h2>Timeline</h2>
<figure>${chart}<figcaption>Dashed lines: mitigations (hover for the rule and reason).</figcaption></figure>
`;
}

function classificationHtml(m: ReportModel): string {
  const c = m.classification;
  if (!c) return '';
  const criteria = table(
    ['scale criterion', 'level', 'figure'],
    c.criteria.map((x) => [x.name, String(x.level), x.text]),
  );
  const indicators = table(
    ['sophistication indicator', 'fired', 'figure'],
    c.indicators.map((i) => [i.name, i.fired ? 'yes' : 'no', i.text]),
  );
  const confidence = `<p>Confidence ${esc(c.confidence)}: ${esc(c.confidenceReasons.join('; '))}. The rubric is published in docs/classification.md.</p>`;
  return `<h2>Classification</h2>${criteria}${indicators}${confidence}`;
}

function sourcesHtml(m: ReportModel): string {
  const vectors = table(
    ['vector', 'why'],
    m.vectors.map((v) => [v.vector, v.reason]),
  );
  const classes = table(
    ['route class', 'requests', 'share'],
    m.routeClasses.map((r) => [r.name, r.requests, `${r.share}%`]),
    'Route classes hit',
  );
  return `
<h2>Vectors</h2>${vectors}
<h2>Sources</h2>
${table(['/24 prefix', 'requests', 'share'], topRows(m.top.prefixes, 10), 'Top prefixes')}
${table(['address', 'requests', 'share'], topRows(m.top.sources, 10), 'Top addresses')}
${table(['fingerprint', 'requests', 'share'], topRows(m.top.fingerprints, 5), 'Top fingerprints')}
${table(['path', 'requests', 'share'], topRows(m.top.paths, 10), 'Top paths')}
${classes}
`;
}

function attributionHtml(m: ReportModel): string {
  const a = m.attribution;
  const body = a
    ? `${table(['country', ...SHARE_HEAD.slice(1)], shareRows(a.countries), 'By country')}${table(['ASN', ...SHARE_HEAD.slice(1)], shareRows(a.asns), 'By network (ASN)')}<p>Unknown country: ${num(a.unknownCountry.requests)} requests / ${num(a.unknownCountry.sources)} sources; unknown ASN: ${num(a.unknownAsn.requests)} / ${num(a.unknownAsn.sources)}. ${esc(a.sourceNote)}</p>`
    : '<p class="none">Attribution was not enabled (geo databases off).</p>';
  const licences = m.licences.length ? `<p><small>Data: ${esc(m.licences.join(' '))}</small></p>` : '';
  return `<h2>Attribution</h2>
<p class="caveat" id="caveat">${esc(m.caveat)}</p>
${body}
${licences}
`;
}

function mitigationsHtml(m: ReportModel): string {
  const time = (at: number) => new Date(at).toISOString().slice(11, 19);
  const actions = table(
    ['time (UTC)', 'rule', 'target', 'applied', 'reason', 'forwarded/s 10 s before → after'],
    m.mitigations.map((x) => [
      time(x.at),
      x.rule,
      x.target,
      x.applied ? 'yes' : 'no (observe)',
      x.reason,
      `${num(x.forwardedBefore)} → ${num(x.forwardedAfter)}`,
    ]),
  );
  const modes = table(
    ['time (UTC)', 'mode change', 'reason'],
    m.escalations.map((e) => [time(e.at), `${e.from} → ${e.to}`, e.reason]),
    'Mode changes',
  );
  return `<h2>Mitigations and their effect</h2>
${actions}
${modes}
`;
}

function impactHtml(m: ReportModel): string {
  const head = ['clients', 'served before', 'served during', 'origin ms before', 'origin ms during', 'requests during'];
  const rows = [
    impactRow('verified or known (pass, token, session, or seen before the incident)', m.impact.verified),
    impactRow('all others', m.impact.others),
  ];
  return `<h2>Impact on real users</h2>
${table(head, rows)}
`;
}

function exposureHtml(m: ReportModel): string {
  const x = m.exposure;
  const suspects = x.suspects.length
    ? table(EXPOSURE_HEAD, exposureRows(x.suspects), 'Clients with signs of enumeration')
    : '';
  const prefixes = x.prefixes.length
    ? table(['prefix', ...EXPOSURE_HEAD.slice(1)], exposureRows(x.prefixes), 'Prefixes with signs of enumeration')
    : '';
  return `<h2 id="exposure">Data exposure</h2>
<ul>${x.seen.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
${suspects}
${prefixes}
<p>What the shield cannot know:</p><ul>${x.cannotKnow.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
`;
}

function closingHtml(m: ReportModel): string {
  const notes = m.notes.length ? `<h2>Notes</h2><ul>${m.notes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>` : '';
  return `<h2>Draft statement</h2>
<p id="statement">${esc(m.statement.join(' '))}</p>
${notes}
<footer>Generated by Rampart from its incident store. Figures are measurements at the shield; see docs/evidence.md for how each is computed.</footer>
</body></html>
`;
}
