// The end-to-end load benchmark (bench/load/run.sh runs it). In ONE run, for a
// 13-byte and a 1 KB page, it measures a trivial origin direct, Rampart (one
// process) in front of it, and nginx as a reverse proxy when installed, with
// wrk pinned to core 0 and every server pinned to core 1; keep-alive and
// `Connection: close`; then a paced client at half of Rampart's keep-alive
// maximum for the added p99; then resident memory per process (memory.ts:
// `rampart demo` and `rampart start` on the defaults, idle and after 1,000,000
// distinct sources). Every number is also given as a ratio to the direct origin
// measured in the same run, since absolute numbers on a shared 2-core machine
// mean little.
// Not a test: nothing here asserts; targets are printed next to the numbers.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWrk, type WrkResult } from './wrk.js';
import { renderReport, type Row, type PacedRow, type ProcessMemory } from './report.js';
import { measureMemory } from './memory.js';
import { rssOf as rss, waitOutput } from '../../test/helpers/proc.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const DURATION = Number(args.get('duration') ?? 5);
const CONNS = Number(args.get('connections') ?? 64);
/** Page sizes served by the origin: 13 bytes (hello, world) and a 1 KB HTML page. */
const PAGES = (args.get('pages') ?? '13,1024').split(',').map(Number);
/** keep-alive, close, or both (default). */
const MODES = (args.get('modes') ?? 'keep-alive,close').split(',').map((m) => m === 'close');
/** Distinct sources sent through `rampart start` (defaults, all cores) for the memory figures; 0 skips. */
const SOURCES = Number(args.get('sources') ?? 1_000_000);
/** Only the memory phase (idle and after SOURCES distinct sources), no throughput runs. */
const MEMORY_ONLY = args.has('memory-only');
/** How Rampart is started: as docs/deployment.md advises (a 2 MB young generation; workers get it by themselves). */
const RAMPART_NODE_FLAGS = ['--max-semi-space-size=2'];
const PACED_S = Number(args.get('paced') ?? 10);
/** Rounds run interleaved (every target once per round); each figure is the median over rounds. */
const ROUNDS = Number(args.get('rounds') ?? 3);
const CLIENT_CORE = args.get('client-core') ?? '0';
const SERVER_CORE = args.get('server-core') ?? '1';
const tmp = mkdtempSync(join(tmpdir(), 'rampart-load-'));
export const children: ChildProcess[] = [];

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function pinned(core: string, cmd: string, argv: string[], opts: { cwd?: string } = {}): ChildProcess {
  const c = spawn('taskset', ['-c', core, cmd, ...argv], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  return c;
}

async function waitPort(port: number, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} is not listening on ${port}`);
}

const pageName = (bytes: number) => (bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`);

/** Resident memory (VmRSS now, VmHWM peak) of a process, in MiB. */

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim() || 100);

/** CPU time (user + system, all threads) a process has used so far, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS; // fields 14 and 15: utime, stime
}

/** The pid of the real server behind `taskset` (taskset execs, so it is the same pid). */
const pidOf = (c: ChildProcess) => c.pid!;

function wrk(url: string, seconds: number, close: boolean): WrkResult {
  const argv = ['-c', CLIENT_CORE, 'wrk', '-t1', `-c${CONNS}`, `-d${seconds}s`, '--latency', '--timeout', '5s'];
  if (close) argv.push('-H', 'Connection: close');
  const out = execFileSync('taskset', [...argv, url], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return parseWrk(out);
}

function pacedRun(
  url: string,
  rate: number,
): { p50: number; p99: number; achieved: number; errors: number; non2xx: number } {
  const out = execFileSync(
    'taskset',
    [
      '-c',
      CLIENT_CORE,
      process.execPath,
      '--import',
      'tsx',
      join(ROOT, 'bench/load/paced.ts'),
      url,
      String(rate),
      String(PACED_S),
      '32',
      '2',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop()!);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per-figure medians over rounds; error counts are summed so none is hidden. */
function medianRow(rs: Row[]): Row {
  const m = (k: 'rps' | 'p50' | 'p99' | 'rssMiB' | 'cpuUs') => median(rs.map((r) => r[k]));
  const sum = (k: 'requests' | 'errors' | 'non2xx') => rs.reduce((a, r) => a + r[k], 0);
  return {
    page: rs[0].page,
    target: rs[0].target,
    mode: rs[0].mode,
    rps: m('rps'),
    p50: m('p50'),
    p99: m('p99'),
    rssMiB: m('rssMiB'),
    cpuUs: m('cpuUs'),
    requests: sum('requests'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    spread: [Math.min(...rs.map((r) => r.rps)), Math.max(...rs.map((r) => r.rps))],
  };
}

function nginxConf(dir: string, listen: number, originPort: number): string {
  for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  return `worker_processes 1;
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering on;
    }
  }
}
`;
}

function rampartConf(listen: number, originPort: number): string {
  // The default chain (parse, identity, policy, challenge, cache, admission,
  // observers) in one process (workers: 1, as the origin and nginx), with the
  // two things that would refuse a benchmark from one address turned to
  // counting only: per-address rate limits and detector enforcement (observe
  // mode still runs the detector's per-request work).
  return `listen: 127.0.0.1:${listen}
workers: 1
origin: http://127.0.0.1:${originPort}
hosts: [127.0.0.1, localhost]
data_dir: ${tmp}/data
admin:
  listen: 127.0.0.1:0
log:
  level: warn
policy:
  rate_limits:
    enabled: false
detector:
  enforcement: observe
`;
}

/** One page size: its origin, Rampart (one process) and nginx in front of it, measured interleaved. */
async function measurePage(bytes: number): Promise<{ rows: Row[]; paced: PacedRow[]; memory: ProcessMemory[] }> {
  const page = pageName(bytes);
  const originPort = await freePort();
  const origin = pinned(SERVER_CORE, process.execPath, [
    join(ROOT, 'bench/load/hello-origin.mjs'),
    String(originPort),
    String(bytes),
  ]);
  await waitOutput(origin, /listening/, 'origin');
  const own: ChildProcess[] = [origin];

  const originPid = pidOf(origin);
  const targets: Array<{ name: string; url: string; pid: number }> = [
    { name: 'direct origin', url: `http://127.0.0.1:${originPort}/`, pid: originPid },
  ];

  const rampartPort = await freePort();
  const cfg = join(tmp, `rampart-${bytes}.yaml`);
  writeFileSync(cfg, rampartConf(rampartPort, originPort));
  const rampart = pinned(SERVER_CORE, process.execPath, [
    ...RAMPART_NODE_FLAGS,
    join(ROOT, 'bin/rampart.js'),
    'start',
    '-c',
    cfg,
  ]);
  own.push(rampart);
  await waitOutput(rampart, /shielding/, 'rampart');
  targets.push({ name: 'rampart', url: `http://127.0.0.1:${rampartPort}/`, pid: pidOf(rampart) });
  await new Promise((r) => setTimeout(r, 3000));
  const memory: ProcessMemory[] = [
    { phase: `idle (bench config, ${page} page)`, process: 'rampart (one process)', ...rss(pidOf(rampart)) },
  ];

  if (nginxVersion) {
    const dir = join(tmp, `nginx-${bytes}`);
    mkdirSync(dir, { recursive: true });
    const nginxPort = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, nginxPort, originPort));
    const nginx = pinned(SERVER_CORE, 'nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
    own.push(nginx);
    await waitPort(nginxPort, 'nginx');
    targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginxPort}/`, pid: pidOf(nginx) });
  }

  const rows: Row[] = [];
  let loadRss = 0;
  for (const close of MODES) {
    const runs = new Map<string, Row[]>();
    for (let round = 1; round <= ROUNDS; round++) {
      for (const t of targets) {
        const mode = close ? 'close' : 'keep-alive';
        if (round === 1) {
          log(`${page} ${t.name} ${mode}: warm-up`);
          wrk(t.url, 2, close);
        }
        log(`${page} ${t.name} ${mode}: round ${round}/${ROUNDS}, ${DURATION}s`);
        // CPU used by the servers on the path (origin, plus the proxy if any) per
        // request: unlike req/s it barely moves when other programs share the cores.
        const pids = t.pid === originPid ? [originPid] : [originPid, t.pid];
        const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
        const r = wrk(t.url, DURATION, close);
        const cpuUs = ((pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0) * 1000) / Math.max(1, r.requests);
        // RSS right after the target's own run: the origin also serves the proxies'
        // runs, so its peak over the whole benchmark would not be its own.
        const row: Row = { page, target: t.name, mode, ...r, rssMiB: rss(t.pid).now, cpuUs };
        if (t.name === 'rampart') loadRss = Math.max(loadRss, row.rssMiB);
        runs.set(t.name, [...(runs.get(t.name) ?? []), row]);
      }
    }
    for (const t of targets) rows.push(medianRow(runs.get(t.name)!));
  }
  memory.push({
    phase: `after load (${page} page, highest after a run)`,
    process: 'rampart (one process)',
    now: loadRss,
    peak: rss(pidOf(rampart)).peak,
  });

  const ramKa =
    rows.find((r) => r.target === 'rampart' && r.mode === 'keep-alive') ?? rows.find((r) => r.target === 'rampart')!;
  const rate = Math.max(100, Math.round(ramKa.rps / 2));
  const paced: PacedRow[] = [];
  if (PACED_S > 0) {
    for (const t of targets) {
      log(`${page} ${t.name}: paced ${rate} req/s for ${PACED_S}s`);
      paced.push({ page, target: t.name, rate, ...pacedRun(t.url, rate) });
    }
  }
  for (const c of own) c.kill('SIGTERM');
  await Promise.all(
    own.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  );
  return { rows, paced, memory };
}

let nginxVersion = '';

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const load0 = loadavg()[0];
  try {
    nginxVersion = execFileSync('sh', ['-c', 'command -v nginx >/dev/null && nginx -v 2>&1'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    log('nginx is not installed (apt-get install -y nginx): measuring without it');
  }
  const rows: Row[] = [];
  const paced: PacedRow[] = [];
  const memory: ProcessMemory[] = [];
  for (const bytes of MEMORY_ONLY ? [] : PAGES) {
    const m = await measurePage(bytes);
    rows.push(...m.rows);
    paced.push(...m.paced);
    memory.push(...m.memory);
  }
  if (SOURCES > 0 || MEMORY_ONLY)
    memory.push(
      ...(await measureMemory({
        root: ROOT,
        tmp,
        sources: SOURCES,
        clientCore: CLIENT_CORE,
        nodeFlags: RAMPART_NODE_FLAGS,
        log,
        children,
      })),
    );

  const md = renderReport({
    started,
    node: process.version,
    nginx: nginxVersion,
    wrk: execFileSync('sh', ['-c', 'wrk -v 2>&1 | head -1'], { encoding: 'utf8' }).trim(),
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(),
    loadBefore: load0,
    loadAfter: loadavg()[0],
    duration: DURATION,
    rounds: ROUNDS,
    connections: CONNS,
    rows,
    paced,
    memory,
    sources: SOURCES,
  });
  process.stdout.write(md);
  const outDir = join(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `load-${started.replace(/[:.]/g, '-')}.md`);
  writeFileSync(file, md);
  log(`written to bench/results/${file.split('/').pop()}`);
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main().then(
  () => cleanup(),
  (e) => {
    log(String(e instanceof Error ? e.stack : e));
    cleanup();
    process.exitCode = 1;
  },
);
