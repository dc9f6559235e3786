// The campaign report: one row per attack with its parameters and figures,
// the worst case over the campaign for each figure (and which attack it was),
// the distribution (min / median / max), skipped plans, and a family × timing
// grid for the matrix. Markdown for people, the same object as JSON for
// tools. Pure string building.
import { describePath, describeShape } from './campaign.js';
import type { AttackResult, LegitFigures } from './campaign-score.js';
import type { Skipped } from './campaign-run.js';
import { table } from './format.js';

export interface Figure {
  key: string;
  label: string;
  /** Which way is worse. */
  worse: 'min' | 'max';
  unit: string;
  get(r: AttackResult): number | null;
  /** For time to mitigation: null means "never", the worst value of all. */
  nullIsWorst?: (r: AttackResult) => boolean;
}

const people = (k: 'checked' | 'challenged' | 'limited') => (r: AttackResult) => r.legit.all.people[k];

export const FIGURES: readonly Figure[] = [
  { key: 'legitServedPct', label: 'legit served (all)', worse: 'min', unit: '%', get: (r) => r.legit.all.servedPct },
  { key: 'nojsServedPct', label: 'legit served (no JS)', worse: 'min', unit: '%', get: (r) => r.legit.nojs.servedPct },
  {
    key: 'chromiumServedPct',
    label: 'legit served (Chromium)',
    worse: 'min',
    unit: '%',
    get: (r) => r.legit.chromium?.servedPct ?? null,
  },
  { key: 'legitP99Ms', label: 'legit p99 during (all)', worse: 'max', unit: ' ms', get: (r) => r.legit.all.p99 },
  { key: 'nojsP99Ms', label: 'legit p99 during (no JS)', worse: 'max', unit: ' ms', get: (r) => r.legit.nojs.p99 },
  {
    key: 'chromiumP99Ms',
    label: 'legit p99 during (Chromium)',
    worse: 'max',
    unit: ' ms',
    get: (r) => r.legit.chromium?.p99 ?? null,
  },
  { key: 'peopleChecked', label: 'people checked', worse: 'max', unit: '', get: people('checked') },
  { key: 'peopleChallenged', label: 'people challenged', worse: 'max', unit: '', get: people('challenged') },
  { key: 'peopleLimited', label: 'people limited', worse: 'max', unit: '', get: people('limited') },
  {
    key: 'attackReachedPct',
    label: 'attack reached the origin',
    worse: 'max',
    unit: '%',
    get: (r) => r.attack?.reachedPct ?? null,
  },
  {
    key: 'reachedAfterMitigationPct',
    label: 'reached after mitigation',
    worse: 'max',
    unit: '%',
    get: (r) => r.attack?.reachedAfterMitigationPct ?? null,
  },
  {
    key: 'ttmS',
    label: 'time to mitigation',
    worse: 'max',
    unit: ' s',
    get: (r) => r.attack?.ttmS ?? null,
    nullIsWorst: (r) => r.attack?.phases.some((p) => p.ttmS !== undefined) === true,
  },
  {
    key: 'drillLoopP99Ms',
    label: "drill's people loop delay p99",
    worse: 'max',
    unit: ' ms',
    get: (r) => r.drill.loopDelayP99Ms,
  },
  {
    key: 'attackLoopP99Ms',
    label: "drill's attack loop delay p99",
    worse: 'max',
    unit: ' ms',
    get: (r) => r.drill.attackLoopDelayP99Ms,
  },
];

export interface Worst {
  value: number | 'never' | null;
  id: string | null;
}

export interface Spread {
  n: number;
  min: number | null;
  median: number | null;
  max: number | null;
  /** Attacks never mitigated (time to mitigation only). */
  never: number;
}

export function worstCase(results: readonly AttackResult[]): Record<string, Worst> {
  const out: Record<string, Worst> = {};
  for (const f of FIGURES) {
    let w: Worst = { value: null, id: null };
    for (const r of results) {
      const v = f.get(r);
      if (v === null) {
        if (f.nullIsWorst?.(r) && w.value !== 'never') w = { value: 'never', id: r.plan.id };
        continue;
      }
      if (w.value === 'never') continue;
      if (w.value === null || (f.worse === 'max' ? v > w.value : v < w.value)) w = { value: v, id: r.plan.id };
    }
    out[f.key] = w;
  }
  return out;
}

export function distribution(results: readonly AttackResult[]): Record<string, Spread> {
  const out: Record<string, Spread> = {};
  for (const f of FIGURES) {
    const xs = results
      .map(f.get)
      .filter((v): v is number => v !== null)
      .sort((a, b) => a - b);
    const never = f.nullIsWorst ? results.filter((r) => f.get(r) === null && f.nullIsWorst!(r)).length : 0;
    const mid =
      xs.length === 0
        ? null
        : xs.length % 2
          ? xs[(xs.length - 1) / 2]
          : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
    out[f.key] = {
      n: xs.length,
      min: xs[0] ?? null,
      median: mid === null ? null : Math.round(mid * 100) / 100,
      max: xs[xs.length - 1] ?? null,
      never,
    };
  }
  return out;
}

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
  targetsMet: { attacks: number; allMet: number };
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
    missed.length === 0 ? '✓' : `✗ ${missed.join(', ')}`,
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
    `Targets met in ${rep.targetsMet.allMet} of ${rep.targetsMet.attacks} attacks.`,
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
  if (rep.skipped.length > 0)
    out.push('## Skipped', '', ...rep.skipped.map((s) => `- ${s.id} (${s.label}): ${s.reason}`), '');
  out.push('## Details', '', ...rep.results.map(details), '');
  return out.join('\n');
}
