// What the campaign and matrix benchmarks share: a fresh environment per
// attack — the demo origin in its own process and `rampart start` on its
// default configuration (only listen, origin, hosts, a free admin port, a
// temp data_dir and log level error) as a child process the drill can start
// mid-attack and restart — the seed-list parser, and writing the report.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CampaignEnv } from '../../src/drill/campaign-run.js';
import { campaignMarkdown, type CampaignReport } from '../../src/drill/campaign-report.js';
import { spawnShield } from '../../src/drill/shield-control.js';
import { parseTarget } from '../../src/drill/target.js';
import { freePort, startOrigin } from './defenders.js';

/** A fresh demo origin and a default-config Rampart (not started: the runner starts it as the plan says). */
/** RAMPART_DRILL_SHIELD_YAML='limits: {warm_up: 0}': top-level YAML appended to the defaults (an A/B of one setting). */
function extraYaml(): string {
  const extra = process.env.RAMPART_DRILL_SHIELD_YAML ?? '';
  return extra === '' ? '' : `${extra}\n`;
}

export async function rampartDefaults(): Promise<CampaignEnv> {
  const origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'rampart-campaign-'));
  try {
    const port = await freePort();
    const file = join(dir, 'rampart.yaml');
    writeFileSync(
      file,
      `listen: 127.0.0.1:${port}\norigin: ${origin.url}\nhosts: [127.0.0.1, localhost]\nadmin:\n  listen: 127.0.0.1:${process.env.RAMPART_DRILL_ADMIN_PORT ?? 0}\n${process.env.RAMPART_DRILL_ADMIN_PORT ? '  token: drill-admin-token-0123456789abcdef0123\n' : ''}data_dir: ${dir}/data\nlog:\n  level: ${process.env.RAMPART_DRILL_SHIELD_LEVEL ?? 'error'}\n${extraYaml()}`,
    );
    const target = parseTarget(`http://127.0.0.1:${port}`);
    const shield = spawnShield({
      configFile: file,
      target,
      cwd: dir,
      onStderr: (line) => process.stderr.write(`  shield: ${line}\n`),
    });
    return {
      target,
      shield,
      originStats: `${origin.url}/__demo/stats`,
      async close() {
        await shield.stop();
        await origin.stop();
        // RAMPART_DRILL_KEEP=1 keeps the shield's data_dir (its incident store: `rampart report latest --data-dir DIR`).
        if (process.env.RAMPART_DRILL_KEEP) process.stderr.write(`  kept the shield's data_dir: ${dir}/data\n`);
        else rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await origin.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** "1-20", "3,5,7-9" → the seeds. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new Error(`--seeds: not a seed or range: ${JSON.stringify(part)} (e.g. 1-20 or 3,5,7-9)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

/** Comma list filter: null when absent or "all". */
export function listFilter(v: string | undefined): Set<string> | null {
  return v === undefined || v === 'all'
    ? null
    : new Set(
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
}

/** Writes `<name>-<stamp>.md` and `.json` into `dir`; returns the markdown. */
export function writeReport(dir: string, name: string, rep: CampaignReport, grid = false): string {
  const md = campaignMarkdown(rep, { grid });
  mkdirSync(dir, { recursive: true });
  const stamp = rep.startedAt.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${name}-${stamp}.md`), md);
  writeFileSync(join(dir, `${name}-${stamp}.json`), `${JSON.stringify(rep, null, 2)}\n`);
  return md;
}

export const hms = (ms: number): string =>
  `${Math.floor(ms / 3_600_000)}h${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}m${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}s`;
