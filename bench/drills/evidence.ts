// The evidence drill of issue 15, as a new user would run it: `rampart start`
// on its defaults (workers: one per core) with trusted_proxies 127.0.0.0/8,
// in front of an origin that answers 404 to some of the drill's pages and 401
// to its logins (bench/drills/evidence-origin.ts; --clean: none of that), then
// `rampart drill --scenario botnet --countries ...` with a long warm-up of
// people browsing, then `rampart report latest` of what the shield recorded.
// Prints the report's figures beside the drill's ground truth.
//
//   node --import tsx bench/drills/evidence.ts [--warmup 70s] [--duration 20s]
//        [--countries DE:40,BR:30,RU:30] [--clean] [--keep]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnShield } from '../../src/drill/shield-control.js';
import { parseTarget } from '../../src/drill/target.js';
import { freePort } from './defenders.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/rampart.js');
const { values } = parseArgs({
  options: {
    warmup: { type: 'string', default: '70s' },
    duration: { type: 'string', default: '20s' },
    countries: { type: 'string', default: 'DE:40,BR:30,RU:30' },
    clean: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    users: { type: 'string', default: '50' },
  },
});

async function startOrigin(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/drills/evidence-origin.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(buf.split('\n')[0].trim());
    });
    child.once('exit', (c) => reject(new Error(`origin exited with ${c}`)));
  });
  return { url, child };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  return gone;
}

const dir = mkdtempSync(join(tmpdir(), 'rampart-evidence-drill-'));
const originEnv: Record<string, string> = values.clean
  ? {}
  : { ORIGIN_NOT_FOUND: '/materials,/static/hero.svg', ORIGIN_UNAUTHORIZED: '/login' };
const origin = await startOrigin(originEnv);
const port = await freePort();
const adminPort = await freePort();
const token = 'evidence-drill-token-0123456789';
const file = join(dir, 'rampart.yaml');
writeFileSync(
  file,
  `listen: 127.0.0.1:${port}\norigin: ${origin.url}\nhosts: [127.0.0.1, localhost]\ntrusted_proxies: [127.0.0.0/8]\nadmin:\n  listen: 127.0.0.1:${adminPort}\n  token: ${token}\ndata_dir: ${dir}/data\nlog:\n  level: error\n`,
);
const target = parseTarget(`http://127.0.0.1:${port}`);
const shield = spawnShield({
  configFile: file,
  target,
  cwd: dir,
  onStderr: (l) => process.stderr.write(`  shield: ${l}\n`),
});
const report = (): { status: number; json: Record<string, unknown> | null; err: string } => {
  const r = spawnSync(
    process.execPath,
    [BIN, 'report', 'latest', '--format', 'json', '--data-dir', join(dir, 'data')],
    { encoding: 'utf8' },
  );
  return {
    status: r.status ?? 1,
    json: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : null,
    err: r.stderr,
  };
};
try {
  await shield.start();
  process.stderr.write(
    `origin ${origin.url}${values.clean ? '' : ' (404: /materials, /static/hero.svg; 401: POST /login)'}; shield ${target.origin} (data ${dir}/data)\n`,
  );
  const drillJson = join(dir, 'drill.json');
  const args = [
    BIN,
    'drill',
    '--target',
    target.origin,
    '--scenario',
    'botnet',
    '--countries',
    values.countries!,
    '--warmup',
    values.warmup!,
    '--duration',
    values.duration!,
    '--users',
    values.users!,
    '--origin-stats',
    `${origin.url}/__demo/stats`,
    '--json',
    drillJson,
  ];
  // The drill compares the shield's report with what it sent when it can read it (the admin API).
  if (spawnSync(process.execPath, [BIN, 'drill', '--help'], { encoding: 'utf8' }).stdout.includes('--report'))
    args.push('--report', `http://127.0.0.1:${adminPort}`, '--admin-token', token);
  const d = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  if (d.status !== 0) process.stderr.write(`drill exited with ${d.status}\n`);
  // The incident closes a few seconds after the attack (end_after), then late parts settle.
  let rep = report();
  for (let i = 0; i < 60 && (rep.json === null || rep.json.status !== 'closed'); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rep = report();
  }
  await new Promise((r) => setTimeout(r, 12_000));
  rep = report();
  if (!rep.json) throw new Error(`no report: ${rep.err}`);
  writeFileSync(join(dir, 'report.json'), JSON.stringify(rep.json, null, 2));
  const chk = spawnSync(process.execPath, [BIN, 'report', 'latest', '--check', '--data-dir', join(dir, 'data')], {
    encoding: 'utf8',
  });
  summary(rep.json, chk.stdout + chk.stderr, chk.status);
} finally {
  await shield.stop();
  await stop(origin.child);
  if (values.keep) process.stderr.write(`kept ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
}

function summary(j: Record<string, unknown>, check: string, checkStatus: number | null): void {
  const m = j as {
    verdict: string;
    totals: Record<string, number>;
    accounting?: Record<string, unknown>;
    attribution: {
      sources: number;
      requests: number;
      countries: { key: string; requests: number; requestShare: number; sources: number; sourceShare: number }[];
    } | null;
    classification: { scale: string; criteria: { name: string; level: number; text: string }[] } | null;
  };
  const out: string[] = [];
  out.push(`verdict: ${m.verdict}`);
  out.push(`totals: ${JSON.stringify(m.totals)}`);
  if (m.accounting) out.push(`accounting: ${JSON.stringify(m.accounting)}`);
  if (m.classification) for (const c of m.classification.criteria) out.push(`  ${c.name}: level ${c.level}, ${c.text}`);
  const a = m.attribution;
  if (a) {
    out.push(`attribution: ${a.requests} requests, ${a.sources} distinct sources`);
    let reqSum = 0;
    let srcSum = 0;
    for (const c of a.countries) {
      out.push(`  ${c.key}: requests ${c.requests} (${c.requestShare}%), sources ${c.sources} (${c.sourceShare}%)`);
      reqSum += c.requestShare;
      srcSum += c.sourceShare;
    }
    out.push(`  sum of shares: requests ${reqSum.toFixed(1)}%, sources ${srcSum.toFixed(1)}%`);
  }
  out.push(`rampart report --check (exit ${checkStatus}): ${check.trim() || '(no output)'}`);
  process.stdout.write(`${out.join('\n')}\n`);
}
