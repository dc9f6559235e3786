// The flags of `rampart drill` and their checks: durations, counts, think
// time, the public-address plan, and which flags belong to campaigns or to
// scenario drills. Turns flags into options or a UsageError; runs nothing.
import { parseDuration } from '../config/units.js';
import { UsageError } from '../core/errors.js';
import { type PublicPlan, parsePublicPlan } from '../drill/addresses.js';
import { parseAsnPlan, parseCountryPlan } from '../drill/addresses-geo.js';
import type { DrillOptions } from '../drill/run.js';
import { isScenarioName, SCENARIOS, type ScenarioName } from '../drill/scenarios.js';
import { parseTarget, type Target } from '../drill/target.js';
import type { Options } from './args.js';
import type { CampaignFlags } from './drill-campaign.js';

/** Every flag takes a string; checks below give each its meaning. */
export const DRILL_FLAGS: Options = Object.fromEntries(
  [
    'target',
    'scenario',
    'duration',
    'warmup',
    'users',
    'attack-rate',
    'sources',
    'think',
    'cooldown',
    'json',
    'origin-stats',
    'xff',
    'countries',
    'asns',
    'campaign',
    'seed',
    'family',
    'timing',
    'shield-config',
    'chromium',
    'max-rate',
    'markdown',
    'report',
    'admin-token',
  ].map((name) => [name, { type: 'string' }]),
);

export type DrillValues = Record<string, string | undefined> & { help?: boolean };

/** Flags that only scenario drills take, and flags that only campaigns take. */
const SCENARIO_ONLY = ['scenario', 'attack-rate', 'sources', 'cooldown', 'xff', 'countries', 'asns', 'warmup'];
const CAMPAIGN_ONLY = ['seed', 'timing', 'shield-config', 'chromium', 'max-rate', 'markdown'];

function duration(flag: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const ms = parseDuration(v);
  if (Number.isNaN(ms))
    throw new UsageError(`drill: --${flag} is not a duration: ${JSON.stringify(v)}`, 'write e.g. 500ms, 10s, 2m');
  if (ms < min || ms > max)
    throw new UsageError(`drill: --${flag} must be between ${min / 1000}s and ${max / 1000}s`, `got ${v}`);
  return ms;
}

function count(flag: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max)
    throw new UsageError(`drill: --${flag} must be a whole number from ${min} to ${max}`, `got ${JSON.stringify(v)}`);
  return x;
}

function think(v: string | undefined): [number, number] {
  if (v === undefined) return [1000, 4000];
  const [a, b = a] = v.split('-');
  const lo = parseDuration(a.trim());
  const hi = parseDuration(b.trim());
  if (Number.isNaN(lo) || Number.isNaN(hi) || hi < lo || hi > 60_000)
    throw new UsageError(
      `drill: --think must be a range like 1s-4s, got ${JSON.stringify(v)}`,
      'both ends are durations; at most 60s',
    );
  return [lo, hi];
}

/** At most one of --xff, --countries, --asns. */
function publicPlan(v: DrillValues): PublicPlan | undefined {
  const given = ['xff', 'countries', 'asns'].filter((k) => v[k] !== undefined);
  if (given.length > 1)
    throw new UsageError(
      `drill: --${given.join(' and --')} cannot be combined`,
      'choose one way to present public addresses',
    );
  if (v.xff !== undefined) return parsePublicPlan(v.xff);
  if (v.countries !== undefined) return parseCountryPlan(v.countries);
  if (v.asns !== undefined) return parseAsnPlan(v.asns);
  return undefined;
}

/** The campaign's flags, checked in the order the command always checked them. */
export function campaignFlags(values: DrillValues, target: Target): CampaignFlags {
  const plain = SCENARIO_ONLY.filter((k) => values[k] !== undefined);
  if (plain.length > 0)
    throw new UsageError(
      `drill: --${plain[0]} does not apply to campaigns`,
      'a campaign plan sets its own attack, sources and warm-up',
    );
  return {
    target,
    campaign: values.campaign,
    seed: values.seed,
    family: values.family,
    timing: values.timing,
    shieldConfig: values['shield-config'],
    originStats: values['origin-stats'],
    duration: values.duration === undefined ? undefined : duration('duration', values.duration, 30_000, 5000, 600_000),
    users: count('users', values.users, 0, 5000) ?? 50,
    chromium: values.chromium,
    maxRate: values['max-rate'],
    thinkMs: think(values.think),
    json: values.json,
    markdown: values.markdown,
  };
}

/** The admin token for --report (checked only when --report is given). */
export function reportToken(values: DrillValues): string | undefined {
  if (values.report !== undefined) parseTarget(values.report, '--report');
  const token = values['admin-token'] ?? process.env.RAMPART_ADMIN_TOKEN;
  if (values.report !== undefined && !token)
    throw new UsageError('drill: --report needs the admin token', 'give --admin-token T or set RAMPART_ADMIN_TOKEN');
  return token;
}

/** A scenario drill's options (all but the scenario and progress), the scenarios to run and the pause between them. */
export function scenarioFlags(
  values: DrillValues,
  target: Target,
): { names: ScenarioName[]; opts: Omit<DrillOptions, 'scenario' | 'progress'>; cooldown: number } {
  const campaignOnly = CAMPAIGN_ONLY.filter((k) => values[k] !== undefined);
  if (campaignOnly.length > 0)
    throw new UsageError(
      `drill: --${campaignOnly[0]} needs --campaign N or --family NAME`,
      "see 'rampart drill --help'",
    );
  const name = values.scenario ?? 'botnet';
  if (name !== 'all' && !isScenarioName(name))
    throw new UsageError(`drill: unknown scenario ${JSON.stringify(name)}`, `one of: ${SCENARIOS.join(', ')}, all`);
  const opts = {
    target,
    durationMs: duration('duration', values.duration, 30_000, 1000, 3_600_000),
    warmupMs: duration('warmup', values.warmup, 10_000, 0, 600_000),
    users: count('users', values.users, 0, 5000) ?? 50,
    rate: count('attack-rate', values['attack-rate'], 1, 100_000),
    sources: count('sources', values.sources, 1, 1_000_000),
    thinkMs: think(values.think),
    originStats: values['origin-stats'],
    xff: publicPlan(values),
  };
  const cooldown = duration('cooldown', values.cooldown, 10_000, 0, 600_000);
  return { names: name === 'all' ? [...SCENARIOS] : [name as ScenarioName], opts, cooldown };
}
