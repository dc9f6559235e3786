// `rampart drill`: rehearses an attack against a loopback target with legit
// users alongside, then prints the scorecard (text, and JSON with --json).
// Output only; flag checks are in drill-flags.ts, the drill itself in src/drill.
import { writeFileSync } from 'node:fs';
import { formatScorecard, summaryRow, SUMMARY_HEAD, table } from '../drill/format.js';
import { type DrillOptions, runDrill } from '../drill/run.js';
import { SCENARIOS, type ScenarioName, scenario } from '../drill/scenarios.js';
import type { Scorecard } from '../drill/scorecard.js';
import { parseTarget } from '../drill/target.js';
import { compareReport, fetchReport, formatDifferences, truthOf } from '../drill/report-compare.js';
import { FAMILIES, NEWSLETTERS, TIMINGS } from '../drill/families.js';
import { parse } from './args.js';
import { runCampaignCommand, targetFromConfig } from './drill-campaign.js';
import { campaignFlags, DRILL_FLAGS, type DrillValues, reportToken, scenarioFlags } from './drill-flags.js';

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

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const values = parse('drill', argv, DRILL_FLAGS).values as DrillValues;
  if (values.help) {
    out(help);
    return 0;
  }
  const campaign = values.campaign !== undefined || values.family !== undefined;
  const target =
    campaign && values.target === undefined && values['shield-config'] !== undefined
      ? targetFromConfig(values['shield-config'])
      : parseTarget(values.target);
  if (values['origin-stats'] !== undefined) parseTarget(values['origin-stats'], '--origin-stats');
  if (campaign) return runCampaignCommand(campaignFlags(values, target), out);
  const token = reportToken(values);
  const { names, opts, cooldown } = scenarioFlags(values, target);
  const report = values.report === undefined ? null : { admin: values.report, token: token! };
  const cards = await runScenarios(names, opts, cooldown, report, out);
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

/** Each scenario in turn, `cooldown` ms apart, its scorecard printed (and compared with the report) as it ends. */
async function runScenarios(
  names: readonly ScenarioName[],
  opts: Omit<DrillOptions, 'scenario' | 'progress'>,
  cooldown: number,
  report: { admin: string; token: string } | null,
  out: (s: string) => void,
): Promise<Scorecard[]> {
  const tty = process.stdout.isTTY === true;
  const cards: Scorecard[] = [];
  for (let i = 0; i < names.length; i++) {
    if (i > 0 && cooldown > 0) await new Promise((r) => setTimeout(r, cooldown));
    const progress = tty
      ? (line: string) => {
          process.stdout.write(`\r\x1b[K${names[i]}: ${line}`);
        }
      : undefined;
    const card = await runDrill({ ...opts, scenario: names[i], progress });
    if (tty) process.stdout.write('\r\x1b[K');
    out(formatScorecard(card));
    if (report !== null)
      await compareWithReport(
        card,
        report.admin,
        report.token,
        opts.xff as { groupOf?(i: number): string } | undefined,
        out,
      );
    cards.push(card);
  }
  return cards;
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
  const rep = await fetchReport(admin, token, attackAt - 5000).catch((e: Error) => {
    out(`report: ${e.message}`);
    return null;
  });
  if (rep === null) {
    card.targets.reportMatchesTruth = {
      ok: card.scenario === 'newsletter',
      value: 'no incident recorded',
      goal: 'the report agrees with the drill',
    };
    out('report: no incident was recorded for this attack');
    return;
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
