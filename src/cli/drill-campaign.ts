// `rampart drill --campaign N --seed S` and `rampart drill --family NAME`:
// flag checking and output for campaigns (src/drill/campaign-run.ts does the
// work). With --shield-config FILE the drill runs `rampart start -c FILE`
// itself, fresh for each attack, so it can start the shield mid-attack and
// restart it; without it only plans whose shield is up from the start run,
// the others are listed as skipped.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';
import { planCampaign, type AttackPlan } from '../drill/campaign.js';
import { buildReport, campaignMarkdown, resultRow, ROW_HEAD } from '../drill/campaign-report.js';
import { runCampaign, type CampaignEnv } from '../drill/campaign-run.js';
import {
  FAMILIES,
  familyPlan,
  isFamilyName,
  legitRateEstimate,
  NEWSLETTERS,
  TIMINGS,
  timingNamed,
} from '../drill/families.js';
import { table } from '../drill/format.js';
import { listening, spawnShield } from '../drill/shield-control.js';
import { parseTarget, type Target } from '../drill/target.js';

export interface CampaignFlags {
  target: Target;
  campaign?: string;
  seed?: string;
  family?: string;
  timing?: string;
  duration?: number;
  shieldConfig?: string;
  originStats?: string;
  users: number;
  chromium?: string;
  maxRate?: string;
  thinkMs: readonly [number, number];
  json?: string;
  markdown?: string;
}

function whole(flag: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max)
    throw new UsageError(`drill: --${flag} must be a whole number from ${min} to ${max}`, `got ${JSON.stringify(v)}`);
  return x;
}

function plansOf(f: CampaignFlags, maxRate: number): AttackPlan[] {
  if (f.campaign !== undefined && f.family !== undefined)
    throw new UsageError(
      'drill: --campaign and --family cannot be combined',
      'a campaign draws random attacks; --family runs the fixed ones',
    );
  if (f.campaign !== undefined) {
    const n = whole('campaign', f.campaign, 1, 1, 1000);
    const seed = whole('seed', f.seed, 1, 0, 0xffffffff);
    return planCampaign(seed, n, {
      maxRate,
      ...(f.duration ? { durationS: [f.duration / 1000, f.duration / 1000] as const } : {}),
    });
  }
  const names = f.family!.split(',').map((s) => s.trim());
  for (const n of names)
    if (!isFamilyName(n))
      throw new UsageError(
        `drill: unknown family ${JSON.stringify(n)}`,
        `one of: ${[...FAMILIES, ...NEWSLETTERS].join(', ')}`,
      );
  const timing = timingNamed(f.timing ?? 'cold10');
  if (!timing)
    throw new UsageError(
      `drill: unknown timing ${JSON.stringify(f.timing)}`,
      `one of: ${TIMINGS.map((t) => t.name).join(', ')}`,
    );
  const legitRate = legitRateEstimate(f.users, f.thinkMs);
  return names.map((n) =>
    familyPlan(n as Parameters<typeof familyPlan>[0], {
      timing,
      legitRate,
      maxRate,
      durationS: f.duration ? Math.round(f.duration / 1000) : undefined,
    }),
  );
}

/** The target of a shield the drill starts: its config's `listen` (host:port). */
export function targetFromConfig(file: string): Target {
  let listen: unknown;
  try {
    listen = (parseYaml(readFileSync(file, 'utf8')) as { listen?: unknown } | null)?.listen;
  } catch (e) {
    throw new UsageError(
      `drill: cannot read --shield-config ${file}: ${(e as Error).message.split('\n')[0]}`,
      'a rampart.yaml, as for rampart start -c FILE',
    );
  }
  if (typeof listen !== 'string')
    throw new UsageError(
      `drill: ${file} names no listen address`,
      'give --target URL, or listen: 127.0.0.1:PORT in the file',
    );
  return parseTarget(`http://${listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`, 'listen');
}

/** The origin's counters for a spawned shield: its config's origin when on loopback (the demo origin serves them). */
function statsFromConfig(file: string): string | undefined {
  try {
    const doc = parseYaml(readFileSync(file, 'utf8')) as { origin?: unknown };
    if (typeof doc?.origin !== 'string') return undefined;
    return `${parseTarget(doc.origin, 'origin').origin}/__demo/stats`;
  } catch {
    return undefined;
  }
}

export async function runCampaignCommand(f: CampaignFlags, out: (s: string) => void): Promise<number> {
  const maxRate = whole('max-rate', f.maxRate, 2500, 1, 100_000);
  const chromium = whole('chromium', f.chromium, 2, 0, 20);
  const plans = plansOf(f, maxRate);
  if (f.shieldConfig !== undefined) readFileSync(f.shieldConfig); // a clear error now rather than mid-campaign
  const originStats = f.originStats ?? (f.shieldConfig ? statsFromConfig(f.shieldConfig) : undefined);
  const prepare = async (): Promise<CampaignEnv> => {
    if (f.shieldConfig === undefined) {
      if (!(await listening(f.target))) throw new Error(`nothing listens on ${f.target.origin}`);
      return { target: f.target, shield: null, originStats, close: async () => {} };
    }
    const shield = spawnShield({
      configFile: f.shieldConfig,
      target: f.target,
      onStderr: (l) => process.stderr.write(`shield: ${l}\n`),
    });
    return { target: f.target, shield, originStats, close: () => shield.stop() };
  };
  const started = new Date();
  const tty = process.stderr.isTTY === true;
  const { results, skipped } = await runCampaign({
    plans,
    users: f.users,
    chromium,
    thinkMs: f.thinkMs,
    controlsShield: f.shieldConfig !== undefined,
    prepare,
    progress: tty ? (line) => void process.stderr.write(`\r\x1b[K${line}`) : undefined,
    log: (l) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${l}\n`),
    onResult: (r) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${table(ROW_HEAD, [resultRow(r)])}\n`),
  });
  const title =
    f.campaign !== undefined
      ? `Drill campaign, seed ${f.seed ?? 1}, ${plans.length} attacks`
      : `Drill: ${f.family} (${f.timing ?? 'cold10'})`;
  const rep = buildReport(
    title,
    started,
    {
      target: f.target.origin,
      shield: f.shieldConfig ? `started by the drill: rampart start -c ${f.shieldConfig}` : 'already running',
      users: f.users,
      chromiumUsers: chromium,
      maxRate,
    },
    results,
    skipped,
  );
  const md = campaignMarkdown(rep);
  out(md);
  if (f.json) writeFileSync(f.json, `${JSON.stringify(rep, null, 2)}\n`);
  if (f.markdown) writeFileSync(f.markdown, md);
  return results.length > 0 && rep.targetsMet.allMet === results.length ? 0 : 2;
}
