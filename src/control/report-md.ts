// The report as Markdown (for tickets, mail, a CERT's form). Pure.
import type { ExposureRow } from './exposure.js';
import { type ReportModel, type ShareTableRow, impactRow } from './report-model.js';
import { accountingText } from './report-statement.js';

const num = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toLocaleString('en-US'));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(head: string[], rows: (string | number | null)[][]): string {
  if (rows.length === 0) return `_${head[0]}: none recorded_\n`;
  const line = (r: (string | number | null)[]) =>
    `| ${r.map((c) => cell(typeof c === 'number' ? num(c) : (c ?? '—'))).join(' | ')} |`;
  return `${[line(head), `|${head.map(() => ' --- ').join('|')}|`, ...rows.map(line)].join('\n')}\n`;
}

export function shareRows(rows: readonly ShareTableRow[]): (string | number)[][] {
  return rows
    .slice(0, 15)
    .map((r) => [
      r.name ? `${r.key} ${r.name}` : r.key,
      r.requests,
      `${r.requestShare}%`,
      r.sources,
      `${r.sourceShare}%`,
    ]);
}

export function exposureRows(rows: readonly ExposureRow[]): (string | number)[][] {
  return rows
    .slice(0, 30)
    .map((r) => [
      r.who,
      r.requests,
      r.ok,
      r.s4xx,
      r.s5xx,
      r.verified,
      r.distinctIds,
      r.longestWalk,
      r.meanBytes,
      r.flags.join(', ') || '—',
    ]);
}

/** The headline's distinct sources: the detector's HyperLogLog (p=12) over the incident. */
export const DISTINCT_NOTE = 'a HyperLogLog estimate, ±1.6%';

export const EXPOSURE_HEAD = [
  'client',
  'requests',
  '2xx',
  '4xx',
  '5xx',
  'verified',
  'distinct IDs',
  'longest walk',
  'mean bytes',
  'flags',
];
export const SHARE_HEAD = ['', 'requests', 'share of requests', 'sources', 'share of sources'];

export function renderMarkdown(m: ReportModel, chartFile?: string): string {
  return [
    ...headlineSection(m, chartFile),
    ...classificationSection(m),
    ...vectorsAndSources(m),
    ...attributionSection(m),
    ...mitigationsSection(m),
    ...impactSection(m),
    ...exposureAndStatement(m),
  ].join('\n');
}

function headlineSection(m: ReportModel, chartFile: string | undefined): string[] {
  const o: string[] = [];
  o.push(`# Incident ${m.id}`, '');
  o.push(`**Verdict:** ${m.verdict}`, '');
  o.push(`- Window: ${m.start} → ${m.end ?? 'ongoing'} (${m.durationS}s)${m.status === 'open' ? ' — still open' : ''}`);
  o.push(
    `- Peak: ${num(m.totals.peakRps)} req/s; baseline ${m.baseline.warm ? `${num(Math.round(m.baseline.rps))} req/s ± ${num(Math.round(m.baseline.rpsStd))}` : 'not learned yet'}`,
  );
  o.push(
    `- Requests: ${accountingText(m.accounting)}; distinct sources ${num(m.totals.distinctSources)} (${DISTINCT_NOTE}; peak ${num(m.totals.peakSources)} in one second)`,
  );
  o.push(`- Enforcement: ${m.enforcement}`, `- Report generated ${m.generatedAt}`, '');
  if (chartFile) o.push(`![timeline](${chartFile})`, '');
  return o;
}

function classificationSection(m: ReportModel): string[] {
  const c = m.classification;
  if (!c) return [];
  return [
    '## Classification',
    '',
    table(
      ['scale criterion', 'level', 'figure'],
      c.criteria.map((x) => [x.name, String(x.level), x.text]),
    ),
    table(
      ['sophistication indicator', 'fired', 'figure'],
      c.indicators.map((i) => [i.name, i.fired ? 'yes' : 'no', i.text]),
    ),
    `Confidence ${c.confidence}: ${c.confidenceReasons.join('; ')}. The rubric is published in docs/classification.md.`,
    '',
  ];
}

function vectorsAndSources(m: ReportModel): string[] {
  const shareOf = (p: { share: number }) => `${Math.round(p.share * 1000) / 10}%`;
  const topRows = (rows: readonly { label: string; count: number; share: number }[], n: number) =>
    rows.slice(0, n).map((p) => [p.label, p.count, shareOf(p)]);
  return [
    '## Vectors',
    '',
    table(
      ['vector', 'why'],
      m.vectors.map((v) => [v.vector, v.reason]),
    ),
    '## Sources',
    '',
    table(['top /24 prefix', 'requests', 'share'], topRows(m.top.prefixes, 10)),
    table(['top address', 'requests', 'share'], topRows(m.top.sources, 10)),
    table(['top fingerprint', 'requests', 'share'], topRows(m.top.fingerprints, 5)),
    table(['top path', 'requests', 'share'], topRows(m.top.paths, 10)),
    table(
      ['route class', 'requests', 'share'],
      m.routeClasses.map((r) => [r.name, r.requests, `${r.share}%`]),
    ),
  ];
}

function attributionSection(m: ReportModel): string[] {
  const o: string[] = ['## Attribution', '', `> ${m.caveat}`, ''];
  const a = m.attribution;
  if (a) {
    o.push(table(['country', ...SHARE_HEAD.slice(1)], shareRows(a.countries)));
    o.push(table(['ASN', ...SHARE_HEAD.slice(1)], shareRows(a.asns)));
    o.push(
      `Unknown country: ${num(a.unknownCountry.requests)} requests / ${num(a.unknownCountry.sources)} sources; unknown ASN: ${num(a.unknownAsn.requests)} / ${num(a.unknownAsn.sources)}.${a.asnError > 0 ? ` ASN counts may over-estimate by up to ${num(a.asnError)}.` : ''} ${a.sourceNote}`,
      '',
    );
  } else o.push('Attribution was not enabled (geo databases off).', '');
  if (m.licences.length) o.push(`Data: ${m.licences.join(' ')}`, '');
  return o;
}

function mitigationsSection(m: ReportModel): string[] {
  const clock = (at: number) => new Date(at).toISOString().slice(11, 19);
  return [
    '## Mitigations and their effect',
    '',
    table(
      ['time', 'rule', 'target', 'applied', 'reason', 'forwarded/s 10s before → after'],
      m.mitigations.map((x) => [
        clock(x.at),
        x.rule,
        x.target,
        x.applied ? 'yes' : 'no (observe)',
        x.reason,
        `${num(x.forwardedBefore)} → ${num(x.forwardedAfter)}`,
      ]),
    ),
    table(
      ['time', 'mode change', 'reason'],
      m.escalations.map((e) => [clock(e.at), `${e.from} → ${e.to}`, e.reason]),
    ),
  ];
}

function impactSection(m: ReportModel): string[] {
  const ir = impactRow;
  return [
    '## Impact on real users',
    '',
    table(
      ['clients', 'served before', 'served during', 'origin ms before', 'origin ms during', 'requests during'],
      [
        ir('verified or known (pass, token, session, or seen before the incident)', m.impact.verified),
        ir('all others', m.impact.others),
      ],
    ),
  ];
}

function exposureAndStatement(m: ReportModel): string[] {
  const o: string[] = ['## Data exposure', '', ...m.exposure.seen.map((s) => `- ${s}`), ''];
  if (m.exposure.suspects.length) o.push(table(EXPOSURE_HEAD, exposureRows(m.exposure.suspects)));
  if (m.exposure.prefixes.length)
    o.push(table(['prefix', ...EXPOSURE_HEAD.slice(1)], exposureRows(m.exposure.prefixes)));
  o.push('What the shield cannot know:', '', ...m.exposure.cannotKnow.map((s) => `- ${s}`), '');
  o.push(
    '## Draft statement',
    '',
    ...m.statement
      .map((s) => `${s}`)
      .join(' ')
      .split('\n'),
    '',
  );
  if (m.notes.length) o.push('## Notes', '', ...m.notes.map((s) => `- ${s}`), '');
  return o;
}
