// The campaign report: one row per attack with its parameters and figures,
// the worst case over the campaign for each figure (and which attack it was),
// the distribution (min / median / max), skipped plans, and a family × timing
// grid for the matrix. Markdown for people, the same object as JSON for
// tools. Pure string building; the figures themselves are campaign-figures.ts.
import { describePath, describeShape } from './campaign.js';
import { distribution, FIGURES, type Figure, type Spread, type Worst, worstCase } from './campaign-figures.js';
import type { AttackResult, LegitFigures } from './campaign-score.js';
import type { Skipped } from './campaign-run.js';
import { table } from './format.js';

export interface CampaignReport {
  title: string;
  startedAt: string;
  finishedAt: string;
  /** What was run against what: seeds, users, Chromium users, target, rate cap. */
  setup: Record<string, string | number | boolean>;
  results: AttackResult[];
  skipped: Skipped[];
  worst: Record<string, Worst>;
  distribution: Record<string, Spread>;
  /** underFloor: attacks under the flood floor (flood-floor.ts floodFloorOf), scored on people only; counted in attacks. */
  targetsMet: { attacks: number; allMet: number; underFloor: number };
}

export function buildReport(
  title: string,
  startedAt: Date,
  setup: CampaignReport['setup'],
  results: AttackResult[],
  skipped: Skipped[],
): CampaignReport {
  return {
    title,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    setup,
    results,
    skipped,
    worst: worstCase(results),
    distribution: distribution(results),
    targetsMet: {
      attacks: results.length,
      allMet: results.filter((r) => Object.values(r.targets).every((t) => t.ok)).length,
      underFloor: results.filter((r) => r.attack?.floodFloor?.under).length,
    },
  };
}

const n = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined ? '—' : `${v}${unit}`);
const pair = (l: LegitFigures, c: LegitFigures | null, key: 'servedPct' | 'p99', unit: string) =>
  `${n(l[key], unit)} / ${c ? n(c[key], unit) : '—'}`;

export const ROW_HEAD = [
  'attack',
  'timing',
  'plan',
  'sources',
  'rate/src',
  'total/s (% sent)',
  'served all (no JS / Chromium)',
  'p99 all (no JS / Chromium)',
  'people chk/chal/lim',
  'attack reached',
  'after mitigation',
  'time to mitigation',
  'targets',
];

export function resultRow(r: AttackResult): string[] {
  const p = r.plan;
  const a = r.attack;
  const l = r.legit;
  const ttm =
    a === null || !a.phases.some((x) => x.ttmS !== undefined)
      ? '—'
      : a.ttmS === null
        ? 'never'
        : `${a.ttmS} s${a.phases.length > 1 ? ` (${a.phases.map((x) => (x.ttmS === undefined ? '–' : x.ttmS === null ? 'never' : x.ttmS)).join(', ')})` : ''}`;
  const missed = Object.entries(r.targets)
    .filter(([, t]) => !t.ok)
    .map(([k]) => k);
  return [
    p.id,
    r.timing,
    p.kind === 'requests'
      ? `${describePath(p.path)} · ${p.headers} · ${p.cookies}${p.assets === 'assets' ? '+assets' : ''} · ${describeShape(p.shape)}`
      : p.label,
    String(p.sources),
    p.kind === 'requests' ? String(p.perSourceRate) : '—',
    p.kind === 'none' ? '—' : a?.sentOfPlanPct != null ? `${p.rate} (${Math.round(a.sentOfPlanPct)}%)` : String(p.rate),
    `${n(l.all.servedPct, '%')} (${pair(l.nojs, l.chromium, 'servedPct', '%')})`,
    `${n(l.all.p99, ' ms')} (${pair(l.nojs, l.chromium, 'p99', ' ms')})`,
    `${l.all.people.checked}/${l.all.people.challenged}/${l.all.people.limited}`,
    a === null ? '—' : n(a.reachedPct, '%'),
    a === null ? '—' : n(a.reachedAfterMitigationPct, '%'),
    ttm,
    missed.length === 0 ? (r.targets.floodFloor ? '✓ (under the flood floor)' : '✓') : `✗ ${missed.join(', ')}`,
  ];
}

function fmtWorst(f: Figure, w: Worst): string {
  return w.value === null ? '—' : w.value === 'never' ? 'never' : `${w.value}${f.unit}`;
}

function details(r: AttackResult): string {
  const rules = (m: Record<string, number>) =>
    Object.entries(m)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const lines = [
    `- **${r.plan.id}** ${r.plan.label}; ${r.plan.startMode}, warm-up ${r.plan.warmupS} s, attack ${r.plan.durationS} s${r.plan.startMode === 'restart' ? `, restart at ${r.plan.restartAtS} s` : r.plan.startMode === 'running-at-start' ? `, shield started ${r.plan.shieldStartAfterS} s in` : ''}.`,
  ];
  const l = r.legit.all;
  if (l.requests - l.served > 0) lines.push(`  legit not served: ${rules(l.byRule)}`);
  const slow = r.legit.slowest.filter((x) => x.ms > 1000);
  if (slow.length > 0)
    lines.push(
      `  slowest people (sent at attack second): ${slow.map((x) => `${x.ms} ms at ${x.atS} s (${x.kind === 'nojs' ? 'no JS' : 'Chromium'}${x.checked ? ', checked' : ''})`).join(', ')}`,
    );
  if (l.downRequests > 0 || r.shieldDown.length > 0)
    lines.push(
      `  shield down ${r.shieldDown.map((d) => `${d.fromS}–${d.toS} s`).join(', ')} (attack time); ${l.downRequests} legit requests sent then, not scored`,
    );
  if (r.attack) {
    const a = r.attack;
    lines.push(
      `  attack: ${a.sent} sent${a.planned !== null ? ` of ${a.planned} planned (${a.sentOfPlanPct}%)` : ''}${a.skipped ? ` (+${a.skipped} skipped by the drill's in-flight cap)` : ''}, ${a.reached} reached (${a.reachedSource}), ${a.errors} errors, ${a.followUps} follow-ups; answered by: ${rules(a.byRule) || '—'}`,
    );
  }
  for (const note of [...r.notes, ...(r.legit.chromiumNote ? [r.legit.chromiumNote] : [])])
    lines.push(`  note: ${note}`);
  return lines.join('\n');
}

/** A family × timing grid of ✓/✗ with the missed figures. */
export function gridMarkdown(results: readonly AttackResult[]): string {
  const fams = [...new Set(results.map((r) => r.plan.family))];
  const timings = [...new Set(results.map((r) => r.timing))];
  const rows = fams.map((f) => [
    f,
    ...timings.map((t) => {
      const rs = results.filter((r) => r.plan.family === f && r.timing === t);
      if (rs.length === 0) return '';
      const bad = rs.flatMap((r) =>
        Object.values(r.targets)
          .filter((x) => !x.ok)
          .map((x) => x.value),
      );
      return bad.length === 0 ? '✓' : `✗ ${[...new Set(bad)].join(', ')}`;
    }),
  ]);
  return table(['family', ...timings], rows);
}

/** The attacks under the flood floor with their own figures (flood-floor.ts), or nothing. */
function underFloorSection(results: readonly AttackResult[]): string[] {
  const under = results.filter((r) => r.attack?.floodFloor?.under);
  if (under.length === 0) return [];
  return [
    '## Under the flood floor',
    '',
    "Attacks whose rate stayed under the detector's definition of a flood against what the site's people sent meanwhile: min_ratio (3×) the site's rate for a pulse, slow_ratio (1.5×) for a steady or ramped attack, and at least min_rps (docs/drills.md). They are scored on people only; their attack figures are left out of the worst case and the distribution above, and are these:",
    '',
    table(
      ['attack', 'plan', 'attack rate', 'people rate', 'flood floor', 'attack reached', 'time to mitigation'],
      under.map((r) => {
        const a = r.attack!;
        const f = a.floodFloor!;
        return [
          r.plan.id,
          `${describePath(r.plan.path)} · ${r.plan.headers} · ${r.plan.cookies} · ${describeShape(r.plan.shape)}`,
          `${r.plan.rate} req/s`,
          `${f.legitRate} req/s`,
          `${f.floor} req/s (${f.ratio}×)`,
          n(a.reachedPct, '%'),
          a.ttmS === null ? 'never' : `${a.ttmS} s`,
        ];
      }),
    ),
    '',
  ];
}

export function campaignMarkdown(rep: CampaignReport, opts: { grid?: boolean } = {}): string {
  const setup = Object.entries(rep.setup)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const out = [
    `# ${rep.title}`,
    '',
    `${rep.startedAt} → ${rep.finishedAt}. ${setup}.`,
    'Definitions: docs/drills.md ("Campaigns"). Targets (issue 13): legit served ≥ 99% with p99 ≤ 1.5 s, attack reaching the origin ≤ 5%, time to mitigation ≤ 2 s (≤ 5 s low-and-slow); newsletters: nobody challenged or limited.',
    '',
    `Targets met in ${rep.targetsMet.allMet} of ${rep.targetsMet.attacks} attacks${rep.targetsMet.underFloor > 0 ? ` (${rep.targetsMet.underFloor} of them under the flood floor, scored on people only: see "Under the flood floor")` : ''}.`,
    '',
  ];
  if (opts.grid) out.push('## Family × timing', '', gridMarkdown(rep.results), '');
  out.push('## Attacks', '', table(ROW_HEAD, rep.results.map(resultRow)), '');
  out.push(
    '## Worst case',
    '',
    table(
      ['figure', 'worst', 'attack'],
      FIGURES.map((f) => [f.label, fmtWorst(f, rep.worst[f.key]), rep.worst[f.key].id ?? '—']),
    ),
    '',
  );
  out.push(
    '## Distribution',
    '',
    table(
      ['figure', 'min', 'median', 'max', 'attacks'],
      FIGURES.map((f) => {
        const d = rep.distribution[f.key];
        return [
          f.label,
          n(d.min, f.unit),
          n(d.median, f.unit),
          n(d.max, f.unit),
          `${d.n}${d.never ? ` (+${d.never} never)` : ''}`,
        ];
      }),
    ),
    '',
  );
  out.push(...underFloorSection(rep.results));
  if (rep.skipped.length > 0)
    out.push('## Skipped', '', ...rep.skipped.map((s) => `- ${s.id} (${s.label}): ${s.reason}`), '');
  out.push('## Details', '', ...rep.results.map(details), '');
  return out.join('\n');
}
