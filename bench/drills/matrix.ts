// The issue-13 matrix: the eight attack families (src/drill/families.ts) ×
// four timings (attack 10 s after start, 120 s after start, already running
// when the shield starts, across a restart mid-attack) plus the two
// newsletter bursts, against `rampart start` defaults in front of the demo
// origin, a fresh origin and shield per cell. Writes a family × timing grid
// and the campaign table (markdown + JSON). Filters rerun one cell quickly.
//
//   node --import tsx bench/drills/matrix.ts [--families all|botnet,newsletter,…]
//     [--timings cold10,cold120,running,restart] [--seeds 1] [--duration 30]
//     [--users 50] [--chromium 2] [--readers 600] [--max-rate 2500] [--out bench/drills/results]
import { parseArgs } from 'node:util';
import type { AttackPlan } from '../../src/drill/campaign.js';
import { buildReport, resultRow, ROW_HEAD } from '../../src/drill/campaign-report.js';
import { runCampaign } from '../../src/drill/campaign-run.js';
import {
  FAMILIES,
  familyPlan,
  isFamilyName,
  legitRateEstimate,
  NEWSLETTER_TIMINGS,
  NEWSLETTERS,
  TIMINGS,
  timingNamed,
  type FamilyName,
} from '../../src/drill/families.js';
import { table } from '../../src/drill/format.js';
import { hms, listFilter, parseSeeds, rampartDefaults, writeReport } from './campaign-env.js';

const { values } = parseArgs({
  options: {
    families: { type: 'string' },
    timings: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    duration: { type: 'string', default: '30' },
    users: { type: 'string', default: '50' },
    chromium: { type: 'string', default: '2' },
    readers: { type: 'string', default: '600' },
    'max-rate': { type: 'string', default: '2500' },
    'dry-run': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/drills/results' },
  },
});

const fams = listFilter(values.families);
const tims = listFilter(values.timings);
for (const f of fams ?? [])
  if (!isFamilyName(f)) throw new Error(`unknown family ${f}; one of ${[...FAMILIES, ...NEWSLETTERS].join(', ')}`);
for (const t of tims ?? [])
  if (!timingNamed(t)) throw new Error(`unknown timing ${t}; one of ${TIMINGS.map((x) => x.name).join(', ')}`);
const seeds = parseSeeds(values.seeds!);
const users = Number(values.users);
const chromium = Number(values.chromium);
const maxRate = Number(values['max-rate']);
const thinkMs = [1000, 4000] as const;
const legitRate = legitRateEstimate(users, thinkMs);

const plans: AttackPlan[] = [];
for (const seed of seeds) {
  for (const name of [...FAMILIES, ...NEWSLETTERS] as FamilyName[]) {
    if (fams && !fams.has(name)) continue;
    const isNews = (NEWSLETTERS as readonly string[]).includes(name);
    const names = tims ? [...tims] : isNews ? [...NEWSLETTER_TIMINGS] : TIMINGS.map((t) => t.name);
    for (const t of names) {
      const p = familyPlan(name, {
        timing: timingNamed(t)!,
        durationS: Number(values.duration),
        maxRate,
        legitRate,
        readers: Number(values.readers),
        seed,
      });
      plans.push(seeds.length > 1 ? { ...p, id: `${p.id}#${seed}` } : p);
    }
  }
}
const expectS = plans.reduce((s, p) => s + p.warmupS + p.durationS + 15, 0);
console.error(`# matrix: ${plans.length} cells; about ${hms(expectS * 1000)}`);
if (values['dry-run']) {
  for (const p of plans) console.log(`${p.id}\t${p.label}${p.notes.length ? `\t(${p.notes.join('; ')})` : ''}`);
  process.exit(0);
}

const started = new Date();
const t0 = Date.now();
const { results, skipped } = await runCampaign({
  plans,
  users,
  chromium,
  thinkMs,
  controlsShield: true,
  prepare: () => rampartDefaults(),
  log: (l) => console.error(l),
  onResult: (r) => console.error(`${table(ROW_HEAD, [resultRow(r)])}\n# ${hms(Date.now() - t0)} elapsed`),
});
const rep = buildReport(
  'Drill matrix: attack families × timings, newsletter bursts',
  started,
  {
    target: 'rampart start (defaults) → demo origin (own process, 32 concurrent, 4 ms CPU per search)',
    seeds: values.seeds!,
    users,
    chromiumUsers: chromium,
    legitRatePerS: Math.round(legitRate),
    maxRate,
    attackS: Number(values.duration),
    wallTime: hms(Date.now() - t0),
  },
  results,
  skipped,
);
console.log(writeReport(values.out!, 'matrix', rep, true));
