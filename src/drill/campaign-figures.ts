// The campaign's figures (legit served and latency, people checked, attack
// reached, time to mitigation, the drill's own loop delay) and their summaries
// over a campaign: the worst case with the attack it came from, and min /
// median / max. Pure; the report's layout is campaign-report.ts.
import type { AttackResult } from './campaign-score.js';

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
/** The attack's figures, unless it was under the flood floor (flood-floor.ts floodFloorOf: reported apart). */
const flood = (r: AttackResult) => (r.attack?.floodFloor?.under ? null : r.attack);

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
    get: (r) => flood(r)?.reachedPct ?? null,
  },
  {
    key: 'reachedAfterMitigationPct',
    label: 'reached after mitigation',
    worse: 'max',
    unit: '%',
    get: (r) => flood(r)?.reachedAfterMitigationPct ?? null,
  },
  {
    key: 'ttmS',
    label: 'time to mitigation',
    worse: 'max',
    unit: ' s',
    get: (r) => flood(r)?.ttmS ?? null,
    nullIsWorst: (r) => flood(r)?.phases.some((p) => p.ttmS !== undefined) === true,
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
