// The scorecard as text for a terminal: one block per scenario with the
// figures and their targets (✓/✗), and a one-row-per-scenario summary table
// for `--scenario all` and the benchmark. Pure string building.
import type { Scorecard } from './scorecard.js';

const n = (v: number | null, unit = ''): string => (v === null ? 'n/a' : `${v}${unit}`);

export function formatScorecard(c: Scorecard): string {
  const b = c.legit.before;
  const d = c.legit.during;
  const a = c.attack;
  const lines = [
    `Drill: ${c.scenario} — ${c.description}`,
    `  target ${c.target}, ${c.users} users, warm-up ${c.warmupS} s, attack ${c.durationS} s${a.sent > 0 ? ` at ${a.rate}/s from ${a.sources} sources` : ''}`,
    `  legit before:  ${b.requests} requests, ${n(b.servedPct, '%')} served, p50 ${n(b.p50, ' ms')}, p99 ${n(b.p99, ' ms')}`,
    `  legit during:  ${d.requests} requests, ${n(d.servedPct, '%')} served, p50 ${n(d.p50, ' ms')}, p99 ${n(d.p99, ' ms')}, ${d.challenged} challenged (drill's own event-loop delay p99 ${n(c.drill.loopDelayP99Ms, ' ms')})`,
    `  false positives (legit refused by the shield): ${c.legit.falsePositives}${ruleList({ ...b.byRule, ...d.byRule })}`,
    `  sessions: ${c.legit.sessions.completed} completed, ${c.legit.sessions.broken} broken; challenges solved: ${c.legit.challengesSolved}${c.legit.solveMsMean !== null ? ` (mean solve ${c.legit.solveMsMean} ms, not in the latencies)` : ''}`,
  ];
  if (c.scenario !== 'newsletter') {
    lines.push(
      `  attack: ${a.sent} sent${a.skipped ? ` (+${a.skipped} skipped: drill in-flight cap)` : ''}, ${a.reachedOrigin} reached the origin (${n(a.reachedOriginPct, '%')}, ${a.reachedSource === 'origin-counters' ? "origin's counters" : 'client-side reading'})`,
      `  time to mitigation: ${a.timeToMitigationS === null ? 'not mitigated' : `${a.timeToMitigationS} s`}; reached the origin after it: ${n(a.reachedAfterMitigationPct, '%')}`,
      `  attack not answered by the origin: ${ruleList(a.refusedByRule).slice(3) || 'none'} (proxy verdicts, statuses, client-side errors)`,
    );
    if (a.slowloris)
      lines.push(
        `  slow connections: peak ${a.slowloris.peakOpen} open at once, ${a.slowloris.closedByTarget} closed by the target, at most ${a.slowloris.heldOver5sPeak} at once held a slot ≥ 5 s (what time to mitigation counts)`,
      );
  }
  lines.push(
    `  targets: ${Object.entries(c.targets)
      .map(([k, t]) => `${t.ok ? '✓' : '✗'} ${k} ${t.value} (${t.goal})`)
      .join('; ')}`,
  );
  return lines.join('\n');
}

function ruleList(m: Record<string, number>): string {
  const e = Object.entries(m)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 6);
  return e.length ? ` — ${e.map(([k, v]) => `${k} ${v}`).join(', ')}` : '';
}

/** Rows for a side-by-side table; `label` names the defender (rampart, nginx, haproxy). */
export function summaryRow(label: string, c: Scorecard): string[] {
  const a = c.attack;
  return [
    c.scenario,
    label,
    n(c.legit.during.servedPct, '%'),
    c.scenario === 'newsletter' ? '—' : n(a.reachedOriginPct, '%'),
    c.scenario === 'newsletter' ? '—' : n(a.reachedAfterMitigationPct, '%'),
    c.scenario === 'newsletter' ? '—' : a.timeToMitigationS === null ? 'never' : `${a.timeToMitigationS} s`,
    n(c.legit.before.p99, ' ms'),
    n(c.legit.during.p99, ' ms'),
    String(c.legit.falsePositives),
    n(c.drill.loopDelayP99Ms, ' ms'),
  ];
}

export const SUMMARY_HEAD = [
  'scenario',
  'defender',
  'legit served',
  'attack reached',
  'reached after mitigation',
  'time to mitigation',
  'legit p99 before',
  'legit p99 during',
  'false positives',
  'drill loop p99',
];

export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
