// Scale benchmark: the same keep-alive load (wrk) against Rampart run
// in-process (workers: 1, `rampart start`), as a cluster with 1 worker, and as
// a cluster with N workers (N = cores), plus the bare origin for reference, in
// ONE run, rounds interleaved, medians reported with ratios. No pinning: the
// load generator and the origin share the cores with Rampart, so on a small
// machine the ratio is a floor, not what N dedicated cores give. Not a test.
// Usage: node --import tsx bench/scale/run.ts [--duration=8] [--rounds=3] [--connections=50] [--workers=N]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWrk, type WrkResult } from '../load/wrk.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const DURATION = Number(args.get('duration') ?? 8);
const ROUNDS = Number(args.get('rounds') ?? 3);
const CONNS = Number(args.get('connections') ?? 50);
const CORES = availableParallelism();
const N = Number(args.get('workers') ?? CORES);
const tmp = mkdtempSync(join(tmpdir(), 'rampart-scale-'));
const children: ChildProcess[] = [];
const log = (s: string) => process.stderr.write(`[scale] ${s}\n`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(argv: string[], ready: RegExp, what: string): Promise<{ child: ChildProcess; text: string }> {
  const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`${what} did not start:\n${text}`)), 60_000);
    const on = (d: Buffer) => {
      text += d.toString();
      if (ready.test(text)) {
        clearTimeout(t);
        resolve({ child, text });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited ${code}:\n${text}`));
    });
  });
}

function config(listen: number, originPort: number, workers: number): string {
  // As bench/load: the default chain, with per-address limits and detector
  // enforcement counting only (all load comes from one address).
  const file = join(tmp, `rampart-${workers}-${listen}.yaml`);
  writeFileSync(
    file,
    `listen: 127.0.0.1:${listen}
origin: http://127.0.0.1:${originPort}
hosts: [127.0.0.1, localhost]
data_dir: ${tmp}/data
workers: ${workers}
admin:
  listen: 127.0.0.1:0
  token: scale-bench-token-0123456789abcdef
log:
  level: warn
policy:
  rate_limits:
    enabled: false
detector:
  enforcement: observe
`,
  );
  return file;
}

function wrk(url: string, seconds: number): WrkResult {
  const out = execFileSync('wrk', ['-t1', `-c${CONNS}`, `-d${seconds}s`, '--latency', '--timeout', '5s', url], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return parseWrk(out);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  mkdirSync(join(tmp, 'data'), { recursive: true });
  const load0 = loadavg()[0];
  const originPort = await freePort();
  await start([join(ROOT, 'bench/load/hello-origin.mjs'), String(originPort)], /listening/, 'origin');
  const targets: { name: string; url: string }[] = [{ name: 'bare origin', url: `http://127.0.0.1:${originPort}/` }];

  const p1 = await freePort();
  await start(
    [join(ROOT, 'bin/rampart.js'), 'start', '-c', config(p1, originPort, 1)],
    /shielding/,
    'rampart in-process',
  );
  targets.push({ name: 'rampart in-process (workers: 1)', url: `http://127.0.0.1:${p1}/` });
  for (const w of [1, N]) {
    const p = await freePort();
    await start(
      ['--import', 'tsx', join(ROOT, 'src/app/cluster-run.ts'), config(p, originPort, w)],
      /"url"/,
      `cluster ${w}`,
    );
    targets.push({ name: `rampart cluster, ${w} worker${w > 1 ? 's' : ''}`, url: `http://127.0.0.1:${p}/` });
  }

  const runs = new Map<string, WrkResult[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of targets) {
      log(`round ${r + 1}/${ROUNDS}: ${t.name}`);
      wrk(t.url, 2);
      runs.get(t.name)!.push(wrk(t.url, DURATION));
    }
  }

  const rows = targets.map((t) => {
    const rs = runs.get(t.name)!;
    return {
      name: t.name,
      rps: median(rs.map((x) => x.rps)),
      p99: median(rs.map((x) => x.p99)),
      errors: rs.reduce((a, x) => a + x.errors + x.non2xx, 0),
      all: rs.map((x) => Math.round(x.rps)),
    };
  });
  const by = (prefix: string) => rows.find((x) => x.name.startsWith(prefix))!;
  const one = by('rampart cluster, 1 worker');
  const many = rows[rows.length - 1];
  const inproc = by('rampart in-process');
  const lines = [
    `# Rampart scale benchmark, ${new Date().toISOString()}`,
    '',
    `Machine: ${CORES} cores (${cpus()[0]?.model ?? '?'}), load average at start ${load0.toFixed(2)}. wrk -t1 -c${CONNS}, keep-alive, ${DURATION} s per run after a 2 s warm-up, ${ROUNDS} interleaved rounds, median shown.`,
    `wrk, the origin and Rampart's primary share the same ${CORES} cores with the workers (no pinning): on a small machine the scaling ratio is a floor.`,
    '',
    '| target | req/s (median) | runs | p99 ms | errors + non-2xx |',
    '|---|---:|---|---:|---:|',
    ...rows.map(
      (x) => `| ${x.name} | ${Math.round(x.rps)} | ${x.all.join(', ')} | ${x.p99.toFixed(2)} | ${x.errors} |`,
    ),
    '',
    `**Ratio ${N} workers / 1 worker: ${(many.rps / one.rps).toFixed(2)}×** (cluster, same load). ${N} workers / in-process: ${(many.rps / inproc.rps).toFixed(2)}×. In-process / bare origin: ${(inproc.rps / rows[0].rps).toFixed(2)}.`,
  ];
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), text);
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('exit', cleanup);
main().then(
  () => {
    cleanup();
    setTimeout(() => process.exit(0), 500);
  },
  (e) => {
    console.error(e);
    cleanup();
    process.exit(1);
  },
);
