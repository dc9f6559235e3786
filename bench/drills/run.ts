// Drill benchmark: every scenario against the demo origin (32 concurrent,
// 4 ms of CPU per search, its own process) behind Rampart on its default
// config and, when installed, behind nginx limit_req/limit_conn and HAProxy
// stick tables; a fresh origin and defender per run. Prints the side-by-side
// table (markdown) and writes every scorecard as JSON. Not a test: no pass/fail.
//
//   node --import tsx bench/drills/run.ts [--defenders rampart,nginx,haproxy]
//     [--scenarios all|a,b] [--duration 15s] [--warmup 65s] [--other-warmup 5s]
//     [--users 50] [--out bench/drills/results]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration } from '../../src/config/units.js';
import { formatScorecard, summaryRow, SUMMARY_HEAD, table } from '../../src/drill/format.js';
import { runDrill } from '../../src/drill/run.js';
import { isScenarioName, SCENARIOS, type ScenarioName } from '../../src/drill/scenarios.js';
import type { Scorecard } from '../../src/drill/scorecard.js';
import { parseTarget } from '../../src/drill/target.js';
import { compareReport, fetchReport, formatDifferences, truthOf } from '../../src/drill/report-compare.js';
import { installed, startDefender, startOrigin, type DefenderName, type Running } from './defenders.js';

const { values } = parseArgs({
  options: {
    defenders: { type: 'string', default: 'rampart,nginx,haproxy' },
    scenarios: { type: 'string', default: 'all' },
    duration: { type: 'string', default: '15s' },
    // Rampart's detector learns a baseline for detector.warmup (60 s by default) before it acts.
    warmup: { type: 'string', default: '65s' },
    'other-warmup': { type: 'string', default: '5s' },
    users: { type: 'string', default: '50' },
    out: { type: 'string', default: 'bench/drills/results' },
  },
});

const scenarios: ScenarioName[] =
  values.scenarios === 'all'
    ? [...SCENARIOS]
    : values.scenarios!.split(',').map((s) => {
        if (!isScenarioName(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
        return s;
      });
const defenders = values.defenders!.split(',').filter((d): d is DefenderName => {
  if (d !== 'rampart' && d !== 'nginx' && d !== 'haproxy') throw new Error(`unknown defender ${d}`);
  if (!installed(d)) console.error(`# ${d} is not installed: skipped (apt-get install -y ${d})`);
  return installed(d);
});
const durationMs = parseDuration(values.duration!);
const users = Number(values.users);

const cards: { defender: DefenderName; card: Scorecard }[] = [];
const rows: string[][] = [];
const started = new Date();
for (const scenario of scenarios) {
  for (const defender of defenders) {
    const origin = await startOrigin();
    let shield: Running;
    try {
      shield = await startDefender(defender, origin.url);
    } catch (e) {
      await origin.stop();
      console.error(`# ${defender}: ${(e as Error).message}`);
      continue;
    }
    try {
      const warmupMs = parseDuration(defender === 'rampart' ? values.warmup! : values['other-warmup']!);
      const card = await runDrill({
        target: parseTarget(shield.url),
        scenario,
        durationMs,
        warmupMs,
        users,
        originStats: `${origin.url}/__demo/stats`,
      });
      cards.push({ defender, card });
      rows.push(summaryRow(defender, card));
      console.log(`## ${defender}\n${formatScorecard(card)}\n`);
      if (shield.admin) {
        // Rampart's own account of the attack against what the drill sent (vector, sources, impact, requests accounted for).
        const rep = await fetchReport(
          shield.admin.url,
          shield.admin.token,
          Date.parse(card.startedAt) + card.warmupS * 1000 - 5000,
          40_000,
        ).catch(() => null);
        if (rep)
          console.log(`${formatDifferences(rep.id, rep.verdict, compareReport(truthOf(card, undefined), rep))}\n`);
        else
          console.log(
            scenario === 'newsletter'
              ? 'report: no incident recorded (people, no attack)\n'
              : 'report: no incident recorded for this attack\n',
          );
      }
    } finally {
      await shield.stop();
      await origin.stop();
    }
  }
}

const md = [
  `# Drill benchmark, ${started.toISOString()}`,
  '',
  `Demo origin: 32 concurrent, 4 ms CPU per search, own process. ${users} legit users; attack ${durationMs / 1000} s after a warm-up (Rampart ${values.warmup}, others ${values['other-warmup']}).`,
  'Definitions: docs/drills.md. Targets (issue 3): legit served ≥ 99%, reached after mitigation ≤ 5%, time to mitigation ≤ 2 s (≤ 5 s low-and-slow).',
  '',
  table(SUMMARY_HEAD, rows),
  '',
].join('\n');
console.log(md);
mkdirSync(values.out!, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
writeFileSync(join(values.out!, `drills-${stamp}.md`), md);
writeFileSync(join(values.out!, `drills-${stamp}.json`), `${JSON.stringify(cards, null, 2)}\n`);
