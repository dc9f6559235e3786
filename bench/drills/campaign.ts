// The randomized campaign benchmark (issue 13): for each seed, N attacks with
// random parameters (src/drill/campaign.ts) against `rampart start` on its
// defaults in front of the demo origin, a fresh origin and shield per attack,
// people without JavaScript and a few Chromium users beside it; the drill
// starts the shield mid-attack or restarts it when the plan says so. Writes
// the table (markdown + JSON) with the worst case and the distribution.
//
//   node --import tsx bench/drills/campaign.ts [--seeds 1-20] [--attacks 3]
//     [--families hot,id-walk,slowloris,…] [--timings cold0,cold10,cold120,running,restart]
//     [--plans s3-2,…] [--users 50] [--chromium 2] [--max-rate 2500] [--out bench/drills/results]
import { parseArgs } from 'node:util';
import { planCampaign, timingOf, type AttackPlan } from '../../src/drill/campaign.js';
import { buildReport } from '../../src/drill/campaign-report.js';
import { runCampaign } from '../../src/drill/campaign-run.js';
import { resultRow, ROW_HEAD } from '../../src/drill/campaign-report.js';
import { table } from '../../src/drill/format.js';
import { hms, listFilter, parseSeeds, rampartDefaults, writeReport } from './campaign-env.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1-20' },
    attacks: { type: 'string', default: '3' },
    families: { type: 'string' },
    timings: { type: 'string' },
    plans: { type: 'string' },
    users: { type: 'string', default: '50' },
    chromium: { type: 'string', default: '2' },
    'max-rate': { type: 'string', default: '2500' },
    'dry-run': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/drills/results' },
  },
});

const seeds = parseSeeds(values.seeds!);
const attacks = Number(values.attacks);
const families = listFilter(values.families);
const timings = listFilter(values.timings);
const only = listFilter(values.plans);
const users = Number(values.users);
const chromium = Number(values.chromium);
const maxRate = Number(values['max-rate']);
/** A random plan's "family" for --families: its path strategy, or slowloris. */
const familyOf = (p: AttackPlan) => (p.kind === 'slowloris' ? 'slowloris' : p.path.kind);
const plans = seeds
  .flatMap((s) => planCampaign(s, attacks, { maxRate }))
  .filter(
    (p) =>
      (!families || families.has(familyOf(p))) && (!timings || timings.has(timingOf(p))) && (!only || only.has(p.id)),
  );
const expectS = plans.reduce(
  (s, p) => s + p.warmupS + p.durationS + (p.startMode === 'running-at-start' ? 1 : 0) + 15,
  0,
);
console.error(
  `# campaign: ${plans.length} attacks (seeds ${values.seeds}, ${attacks} each${families || timings || only ? ', filtered' : ''}); about ${hms(expectS * 1000)}`,
);
if (values['dry-run']) {
  for (const p of plans)
    console.log(
      `${p.id}\t${timingOf(p)}\t${p.durationS}s\t${p.label}${p.notes.length ? `\t(${p.notes.join('; ')})` : ''}`,
    );
  process.exit(0);
}

const started = new Date();
const t0 = Date.now();
const { results, skipped } = await runCampaign({
  plans,
  users,
  chromium,
  thinkMs: [1000, 4000],
  controlsShield: true,
  prepare: () => rampartDefaults(),
  log: (l) => console.error(l),
  onResult: (r) => console.error(`${table(ROW_HEAD, [resultRow(r)])}\n# ${hms(Date.now() - t0)} elapsed`),
});
const rep = buildReport(
  `Drill campaign, seeds ${values.seeds}, ${attacks} attacks each`,
  started,
  {
    target: 'rampart start (defaults) → demo origin (own process, 32 concurrent, 4 ms CPU per search)',
    seeds: values.seeds!,
    attacksPerSeed: attacks,
    users,
    chromiumUsers: chromium,
    maxRate,
    wallTime: hms(Date.now() - t0),
  },
  results,
  skipped,
);
console.log(writeReport(values.out!, 'campaign', rep));
