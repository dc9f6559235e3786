// HTTP/2 abuse benchmark (issue 16), in one run on one machine:
//  1. legit load: h2load against Rampart's TLS listener (HTTP/2), the
//     shield's CPU per request;
//  2. rapid reset from one TLS client (HEADERS + RST_STREAM, 100 streams a
//     write, as fast as the socket drains) with the guard as configured and
//     with it switched off: the shield's CPU per abusive stream sent, and per
//     stream that reached the session;
//  3. the drill: legit HTTP/2 clients on other connections while one client
//     runs rapid reset, then a CONTINUATION flood: legit served, their p99,
//     the time until the abusing address is refused at accept.
// Rampart, the origin and the attacker each run in their own process; the
// shield's CPU is read from /proc/<pid>/stat. Not a test: nothing asserts.
// Usage: node --import tsx bench/edge/h2.ts [--seconds=4] [--requests=20000]
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, runLegitH2, spawnH2Attacker } from '../../test/helpers/h2-clients.js';
import type { H2AbuseKind, H2AbuseResult } from '../../src/drill/h2-abuse.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SECONDS = Number(args.get('seconds') ?? 4);
const REQUESTS = Number(args.get('requests') ?? 20_000);
const TOKEN = 'bench-edge-h2-token-0123456789';
/** Drill: seconds the detector learns the legit traffic before the attack (a shield in service has a warm baseline). */
const WARMUP_S = Number(args.get('warmup') ?? 10);
const tmp = mkdtempSync(join(tmpdir(), 'rampart-bench-h2-'));
const children: ChildProcess[] = [];
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function start(cmd: string, argv: string[], ready: RegExp): Promise<ChildProcess> {
  const c = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  return new Promise((resolve, reject) => {
    let text = '';
    const on = (d: Buffer) => {
      text += d.toString();
      if (ready.test(text)) resolve(c);
    };
    c.stdout!.on('data', on);
    c.stderr!.on('data', on);
    c.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${text.slice(-500)}`)));
  });
}

/** CPU ms (user + system) a process and its live descendants have used so far. */
function cpuMs(pid: number): number {
  let total = 0;
  const stat = (p: string) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
  const tree = new Set([String(pid)]);
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  for (let grew = true; grew; ) {
    grew = false;
    for (const d of all) {
      try {
        if (!tree.has(d) && tree.has(stat(d)[1])) {
          tree.add(d);
          grew = true;
        }
      } catch {
        // gone
      }
    }
  }
  for (const p of tree) {
    try {
      const f = stat(p);
      total += ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
    } catch {
      // gone
    }
  }
  return total;
}

async function metric(admin: string, name: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0);
}

interface Shield {
  pid: number;
  tlsPort: number;
  admin: string;
  stop(): void;
}

/** `cost`: the CPU phases (h2load must not be banned as a flood); `guard`: the HTTP/2 caps on or off. */
async function startShield(
  originPort: number,
  guard: boolean,
  cost = true,
  h2fp: 'settings' | 'frames' = 'settings',
): Promise<Shield> {
  const [tlsPort, adminPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const dir = join(tmp, `shield-${tlsPort}`);
  mkdirSync(dir);
  const off = guard ? '' : '\nhttp2:\n  glitch_limit: 0\n  client_glitch_limit: 0\n  reset_min_streams: 1000000\n';
  writeFileSync(
    join(dir, 'rampart.yaml'),
    `listen: 127.0.0.1:${httpPort}\norigin: http://127.0.0.1:${originPort}\nhosts: [localhost, 127.0.0.1]\ndata_dir: ${dir}\nlog: { level: error }\nworkers: 1\n` +
      `admin: { listen: 127.0.0.1:${adminPort}, token: ${TOKEN} }\n` +
      `tls: { listen: 127.0.0.1:${tlsPort}, cert: ${join(ROOT, 'test/fixtures/tls/cert.pem')}, key: ${join(ROOT, 'test/fixtures/tls/key.pem')} }\n` +
      // The origin's micro-cache off: every request crosses. CPU phases: h2load's one address at thousands of
      // requests/s is neither limited nor banned as a flood (ban/auto-h2 does not use ban_min_rps).
      'origin_protection: { cache: { enabled: false } }\n' +
      (cost
        ? `policy: { rate_limits: { enabled: false } }\ndetector: { ban_min_rps: 1000000000${guard ? '' : ', enforcement: observe'} }\n`
        : `detector: { warmup: ${WARMUP_S}s }\n`) +
      off +
      `fingerprints: { http2: ${h2fp} }\n`,
  );
  const c = await start(
    process.execPath,
    [join(ROOT, 'bin/rampart.js'), 'start', '-c', join(dir, 'rampart.yaml')],
    /shielding/,
  );
  return { pid: c.pid!, tlsPort, admin: `http://127.0.0.1:${adminPort}`, stop: () => c.kill('SIGTERM') };
}

function h2load(port: number): { rps: number; ok: number } {
  const out = execFileSync('h2load', ['-n', String(REQUESTS), '-c', '10', '-m', '10', `https://127.0.0.1:${port}/`], {
    encoding: 'utf8',
  });
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const ok = Number(/status codes: (\d+) 2xx/.exec(out)?.[1] ?? 0);
  return { rps, ok };
}

async function attackCost(sh: Shield, label: string): Promise<Record<string, number | string>> {
  const s0 = await metric(sh.admin, 'rampart_h2_streams_total');
  const c0 = cpuMs(sh.pid);
  const r = await spawnH2Attacker({
    host: '127.0.0.1',
    port: sh.tlsPort,
    localAddress: '127.41.0.1',
    kind: 'rapid-reset',
    until: Date.now() + SECONDS * 1000,
  });
  const cpu = cpuMs(sh.pid) - c0;
  const processed = (await metric(sh.admin, 'rampart_h2_streams_total')) - s0;
  return {
    config: label,
    streamsSent: r.streams,
    streamsProcessed: processed,
    sessions: r.sessions,
    goaways: r.goaways,
    refusedConnections: r.refused,
    shieldCpuMs: Math.round(cpu),
    usPerStreamSent: Math.round(((cpu * 1000) / Math.max(1, r.streams)) * 100) / 100,
  };
}

async function drill(sh: Shield, kind: H2AbuseKind, attacker: string): Promise<Record<string, number | string>> {
  // 20 people, one request every ~100 ms each (default rate limits: 30/s per address).
  const legitIps = Array.from({ length: 20 }, (_, i) => `127.42.${kind === 'rapid-reset' ? 0 : 1}.${i + 1}`);
  const t0 = Date.now();
  const attackAt = t0 + (WARMUP_S + 2) * 1000;
  // Counted from the attack's start to 2 s after its end.
  const legit = runLegitH2(sh.tlsPort, legitIps, attackAt + (SECONDS + 2) * 1000, '/', 100, attackAt);
  await new Promise((r) => setTimeout(r, attackAt - Date.now()));
  const startAt = Date.now();
  const a: H2AbuseResult = await spawnH2Attacker({
    host: '127.0.0.1',
    port: sh.tlsPort,
    localAddress: attacker,
    kind,
    until: startAt + SECONDS * 1000,
  });
  const l = await legit;
  return {
    attack: kind,
    legitRequests: l.sent,
    legitServedPct: Math.round((l.ok / Math.max(1, l.sent)) * 10000) / 100,
    legitP99Ms: percentile(l.latencies, 99),
    legitP50Ms: percentile(l.latencies, 50),
    failed: JSON.stringify(l.statuses),
    refusedAfterMs: a.firstRefusedAt > 0 ? a.firstRefusedAt - a.startedAt : -1,
    attackerSessions: a.sessions,
    attackerGoaways: a.goaways,
    attackerRefused: a.refused,
  };
}

async function main(): Promise<void> {
  const originPort = await freePort();
  await start(process.execPath, [join(ROOT, 'bench/load/hello-origin.mjs'), String(originPort)], /listening/);
  const out: string[] = [
    `# HTTP/2 abuse (bench/edge/h2.ts), ${new Date().toISOString()}`,
    '',
    `Node ${process.version}, ${SECONDS} s attacks, h2load -n ${REQUESTS} -c 10 -m 10; one machine (2 cores, shared).`,
    '',
  ];

  if (!args.has('drill-only')) await costs(originPort, out);
  out.push(
    '## Drill: legit HTTP/2 clients during the attack',
    '',
    '| attack | legit requests | served | p50 | p99 | abusing address refused after | attacker sessions | GOAWAYs | refused connections |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const [kind, ip] of (process.env.ONLY
    ? [[process.env.ONLY, '127.43.0.2']]
    : [
        ['rapid-reset', '127.43.0.1'],
        ['continuation', '127.43.0.2'],
      ]) as [H2AbuseKind, string][]) {
    const sh = await startShield(originPort, true, false); // the drill: default configuration
    const d = await drill(sh, kind, ip);
    log(JSON.stringify(d));
    out.push(
      `| ${kind} | ${d.legitRequests} | ${d.legitServedPct}% | ${d.legitP50Ms} ms | ${d.legitP99Ms} ms | ${d.refusedAfterMs} ms | ${d.attackerSessions} | ${d.attackerGoaways} | ${d.attackerRefused} |`,
    );
    sh.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

async function costs(originPort: number, out: string[]): Promise<void> {
  const guarded = await startShield(originPort, true);
  const c0 = cpuMs(guarded.pid);
  const load = h2load(guarded.tlsPort);
  const legitUs = ((cpuMs(guarded.pid) - c0) * 1000) / REQUESTS;
  log(`h2load: ${load.rps} req/s, ${load.ok} 2xx, ${legitUs.toFixed(1)} µs CPU per request`);
  const plain = await startShield(originPort, true, true, 'frames');
  const p0 = cpuMs(plain.pid);
  const plainLoad = h2load(plain.tlsPort);
  const plainUs = ((cpuMs(plain.pid) - p0) * 1000) / REQUESTS;
  plain.stop();
  log(`h2load with fingerprints.http2 frames: ${plainLoad.rps} req/s, ${plainUs.toFixed(1)} µs CPU per request`);
  const withGuard = await attackCost(guarded, 'guard on (defaults: GOAWAY at 100 glitches, ban/auto-h2)');
  log(JSON.stringify(withGuard));
  guarded.stop();
  const bare = await startShield(originPort, false);
  const withoutGuard = await attackCost(bare, 'guard off (no caps, detector in observe)');
  log(JSON.stringify(withoutGuard));
  bare.stop();

  out.push(
    '## Shield CPU per stream',
    '',
    'Streams sent: what the client wrote. Processed: streams that reached a session (rampart_h2_streams_total). Sessions: TLS handshakes the attacker completed; refused: its connections closed at accept once banned.',
    '',
    '| load | streams sent | processed | sessions | GOAWAYs | refused connections | shield CPU | µs per stream sent |',
    '|---|---|---|---|---|---|---|---|',
  );
  out.push(
    `| h2load legit, defaults (fingerprints.http2: settings; ${load.rps} req/s, ${load.ok} 2xx) | ${REQUESTS} | ${REQUESTS} | 10 | 0 | 0 | ${Math.round((legitUs * REQUESTS) / 1000)} ms | ${legitUs.toFixed(1)} |`,
  );
  out.push(
    `| h2load legit, fingerprints.http2: frames (${plainLoad.rps} req/s, ${plainLoad.ok} 2xx) | ${REQUESTS} | ${REQUESTS} | 10 | 0 | 0 | ${Math.round((plainUs * REQUESTS) / 1000)} ms | ${plainUs.toFixed(1)} |`,
  );
  for (const r of [withGuard, withoutGuard])
    out.push(
      `| rapid reset, ${r.config} | ${r.streamsSent} | ${r.streamsProcessed} | ${r.sessions} | ${r.goaways} | ${r.refusedConnections} | ${r.shieldCpuMs} ms | ${r.usPerStreamSent} |`,
    );
  out.push(
    '',
    `Per abusive stream sent, the guarded shield spends ${((withGuard.usPerStreamSent as number) / legitUs).toFixed(3)}× the CPU of a legit h2load request; unguarded, ${((withoutGuard.usPerStreamSent as number) / legitUs).toFixed(3)}×.`,
    '',
  );
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  });
