// `rampart drill`: rehearses an attack against a loopback target with legit
// users alongside, then prints the scorecard (text, and JSON with --json).
// Flag checking and output only; the drill itself lives in src/drill.
import { writeFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../config/units.js';
import { parsePublicPlan } from '../drill/addresses.js';
import { parseAsnPlan, parseCountryPlan } from '../drill/addresses-geo.js';
import { formatScorecard, summaryRow, SUMMARY_HEAD, table } from '../drill/format.js';
import { runDrill } from '../drill/run.js';
import { isScenarioName, scenario, SCENARIOS, type ScenarioName } from '../drill/scenarios.js';
import type { Scorecard } from '../drill/scorecard.js';
import { parseTarget } from '../drill/target.js';
import { compareReport, fetchReport, formatDifferences, truthOf } from '../drill/report-compare.js';
import { FAMILIES, NEWSLETTERS, TIMINGS } from '../drill/families.js';
import { parse } from './args.js';
import { runCampaignCommand, targetFromConfig } from './drill-campaign.js';

export const help = `Usage: rampart drill --target URL [options]
       rampart drill --target URL --campaign N [--seed S] [--shield-config FILE] [options]
       rampart drill --target URL --family NAME[,NAME] [--timing T] [--shield-config FILE] [options]

Rehearses an attack: simulated people browse the site (pages, assets, search,
donate and login forms, think time, cookies; they solve Rampart's challenge
like a browser) while attack traffic comes from many loopback addresses
(127.x.y.z). Prints a scorecard: legit served %, latency before/during,
attack requests that reached the origin, time to mitigation.

Targets must be on this machine (127.0.0.0/8, ::1, localhost).

Options:
      --target URL         the shield (or any proxy) to drill, e.g. http://127.0.0.1:8080
      --scenario NAME|all  ${SCENARIOS.join(', ')} (default botnet)
      --duration D         attack duration, e.g. 30s (default 30s)
      --warmup D           legit-only traffic before the attack (default 10s)
      --users N            simulated people (default 50)
      --attack-rate N      attack requests per second (default: per scenario)
      --sources N          attacking source addresses (default: per scenario)
      --think D-D          think time range between a person's steps (default 1s-4s)
      --cooldown D         pause between scenarios with 'all' (default 10s)
      --json FILE          also write the scorecard(s) as JSON
      --origin-stats URL   the origin's counters (demo origin: http://ORIGIN/__demo/stats);
                           default: <target>/__demo/stats when it answers
      --xff LIST           present sources as public addresses via X-Forwarded-For:
                           CIDRs or addresses with weights, e.g. 203.0.113.0/24=3,198.51.100.0/24
                           (the target must list 127.0.0.0/8 in trusted_proxies)
      --countries LIST     like --xff, with addresses in these countries (offline geo data),
                           e.g. DE:40,BR:30,RU:30 (weights); exact shares, for attribution tests
      --asns LIST          like --countries, by network, e.g. AS3320:50,AS16509:50
      --report URL         the shield's admin listener: after the attack, fetch the report of
                           the incident it caused and print it beside the drill's ground truth
                           (vector, sources, shares by country/ASN, impact on people, requests
                           accounted for), with the differences; a difference fails the drill
      --admin-token T      the admin token for --report (default: RAMPART_ADMIN_TOKEN)
  -h, --help               show this help

Campaigns (docs/drills.md, "Campaigns"):
      --campaign N         N attacks with random parameters: sources 20-20,000, 0.1-50 req/s
                           each (total capped by --max-rate), paths (hot page, random queries
                           or paths, people's page mix, id walking on numeric/hex/UUID routes,
                           login or donate posts), headers (flood tool, one browser exactly,
                           a browser per source, rotating browsers), cookie jar and redirects,
                           assets, steady/pulse/ramp, warm-up 0/10/120 s, start mode
      --seed S             the campaign's seed (default 1): same seed, same attacks
      --family LIST        run the fixed attack families instead: ${[...FAMILIES, ...NEWSLETTERS].join(', ')}
      --timing T           for --family: ${TIMINGS.map((t) => t.name).join(', ')} (default cold10)
      --shield-config FILE the drill starts 'rampart start -c FILE' itself, fresh for each
                           attack (so it can start it mid-attack or restart it); without it
                           running-at-start and restart attacks are skipped and listed;
                           --target defaults to the file's listen address
      --chromium N         real Chromium users beside the people without JavaScript (default 2;
                           0 for none; needs /usr/bin/chromium and playwright-core)
      --max-rate N         ceiling on an attack's total rate, requests/s (default 2500)
      --markdown FILE      also write the campaign table as markdown (--json: the report)
  Start modes: normal (shield up before anything), running-at-start (people and the
  attack start first, the shield a few seconds later), restart (stopped and started
  mid-attack). People without JavaScript keep cookies and follow redirects; a shield
  redirect they follow (rampart-verdict challenge/...) counts as "checked", an
  interstitial or other challenge refusal as "challenged", any other refusal as "limited".

Scenarios:
${SCENARIOS.map((s) => `  ${s.padEnd(14)} ${scenario(s).description}`).join('\n')}`;

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
function publicPlan(v: Record<string, string | undefined>) {
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

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const parsed = parse('drill', argv, {
    target: { type: 'string' },
    scenario: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    users: { type: 'string' },
    'attack-rate': { type: 'string' },
    sources: { type: 'string' },
    think: { type: 'string' },
    cooldown: { type: 'string' },
    json: { type: 'string' },
    'origin-stats': { type: 'string' },
    xff: { type: 'string' },
    countries: { type: 'string' },
    asns: { type: 'string' },
    campaign: { type: 'string' },
    seed: { type: 'string' },
    family: { type: 'string' },
    timing: { type: 'string' },
    'shield-config': { type: 'string' },
    chromium: { type: 'string' },
    'max-rate': { type: 'string' },
    markdown: { type: 'string' },
    report: { type: 'string' },
    'admin-token': { type: 'string' },
  });
  const values = parsed.values as Record<string, string | undefined> & { help?: boolean };
  if (values.help) return (out(help), 0);
  const campaign = values.campaign !== undefined || values.family !== undefined;
  const target =
    campaign && values.target === undefined && values['shield-config'] !== undefined
      ? targetFromConfig(values['shield-config'])
      : parseTarget(values.target);
  if (values['origin-stats'] !== undefined) parseTarget(values['origin-stats'], '--origin-stats');
  if (campaign) {
    const plain = ['scenario', 'attack-rate', 'sources', 'cooldown', 'xff', 'countries', 'asns', 'warmup'].filter(
      (k) => values[k] !== undefined,
    );
    if (plain.length > 0)
      throw new UsageError(
        `drill: --${plain[0]} does not apply to campaigns`,
        'a campaign plan sets its own attack, sources and warm-up',
      );
    return runCampaignCommand(
      {
        target,
        campaign: values.campaign,
        seed: values.seed,
        family: values.family,
        timing: values.timing,
        shieldConfig: values['shield-config'],
        originStats: values['origin-stats'],
        duration:
          values.duration === undefined ? undefined : duration('duration', values.duration, 30_000, 5000, 600_000),
        users: count('users', values.users, 0, 5000) ?? 50,
        chromium: values.chromium,
        maxRate: values['max-rate'],
        thinkMs: think(values.think),
        json: values.json,
        markdown: values.markdown,
      },
      out,
    );
  }
  if (values.report !== undefined) parseTarget(values.report, '--report');
  const token = values['admin-token'] ?? process.env.RAMPART_ADMIN_TOKEN;
  if (values.report !== undefined && !token)
    throw new UsageError('drill: --report needs the admin token', 'give --admin-token T or set RAMPART_ADMIN_TOKEN');
  const campaignOnly = ['seed', 'timing', 'shield-config', 'chromium', 'max-rate', 'markdown'].filter(
    (k) => values[k] !== undefined,
  );
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
  const names: ScenarioName[] = name === 'all' ? [...SCENARIOS] : [name as ScenarioName];
  const tty = process.stdout.isTTY === true;
  const cards: Scorecard[] = [];
  for (let i = 0; i < names.length; i++) {
    if (i > 0 && cooldown > 0) await new Promise((r) => setTimeout(r, cooldown));
    const progress = tty ? (line: string) => void process.stdout.write(`\r\x1b[K${names[i]}: ${line}`) : undefined;
    const card = await runDrill({ ...opts, scenario: names[i], progress });
    if (tty) process.stdout.write('\r\x1b[K');
    out(formatScorecard(card));
    if (values.report !== undefined)
      await compareWithReport(
        card,
        values.report,
        token!,
        opts.xff as { groupOf?(i: number): string } | undefined,
        out,
      );
    cards.push(card);
  }
  if (cards.length > 1)
    out(
      `\n${table(
        SUMMARY_HEAD,
        cards.map((c) => summaryRow('target', c)),
      )}`,
    );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(cards.length === 1 ? cards[0] : cards, null, 2)}\n`);
  return cards.every((c) => Object.values(c.targets).every((t) => t.ok)) ? 0 : 2;
}

/** The report of the incident the drill caused beside its ground truth; differences become a failed target. */
async function compareWithReport(
  card: Scorecard,
  admin: string,
  token: string,
  plan: { groupOf?(i: number): string } | undefined,
  out: (s: string) => void,
): Promise<void> {
  const attackAt = Date.parse(card.startedAt) + card.warmupS * 1000;
  const rep = await fetchReport(admin, token, attackAt - 5000).catch((e: Error) => (out(`report: ${e.message}`), null));
  if (rep === null) {
    card.targets.reportMatchesTruth = {
      ok: card.scenario === 'newsletter',
      value: 'no incident recorded',
      goal: 'the report agrees with the drill',
    };
    return out('report: no incident was recorded for this attack');
  }
  const diffs = compareReport(truthOf(card, plan), rep);
  out(formatDifferences(rep.id, rep.verdict, diffs));
  const bad = diffs.filter((d) => !d.ok);
  card.targets.reportMatchesTruth = {
    ok: bad.length === 0,
    value: bad.length === 0 ? 'no differences' : bad.map((d) => d.figure).join(', '),
    goal: 'the report agrees with the drill',
  };
  (card as Scorecard & { report?: unknown }).report = { incident: rep.id, verdict: rep.verdict, differences: diffs };
}
