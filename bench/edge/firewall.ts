// Kernel-drop benchmark (issue 16): the CPU Rampart spends on a connection
// flood from a banned address, with firewall.backend off (every attempt is
// accepted, refused with `ban/accept` bytes and closed) and with nftables
// (the kernel drops the SYNs; Rampart never sees them), the same paced flood
// both times. Runs itself inside a network namespace of its own (`unshare
// -n`, loopback up): the host's rules are never touched. Rampart (one worker)
// and the helper are child processes; Rampart's CPU is read from /proc.
// Not a test: nothing asserts. Usage (root): node --import tsx bench/edge/firewall.ts [--seconds=5] [--rate=2000]
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const SECONDS = Number(args.get('seconds') ?? 5);
const RATE = Number(args.get('rate') ?? 2000);
const TOKEN = 'bench-edge-fw-token-0123456789';
const BANNED = '127.50.0.1';

if (process.env.RAMPART_BENCH_NETNS !== '1') {
  // Re-run in a fresh network namespace.
  const r = spawnSync('unshare', ['-n', process.execPath, '--import', 'tsx', SELF, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, RAMPART_BENCH_NETNS: '1' },
  });
  process.exit(r.status ?? 1);
}

const tmp = mkdtempSync(join(tmpdir(), 'rampart-bench-fw-'));
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

const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
};

async function metric(admin: string, name: string): Promise<number> {
  const text = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** `RATE` connection attempts a second from BANNED for SECONDS; each is given up after 200 ms without an answer. */
async function flood(port: number): Promise<{ attempts: number; answered: number }> {
  let attempts = 0;
  let answered = 0;
  const end = Date.now() + SECONDS * 1000;
  const t0 = Date.now();
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
    for (; attempts < due; attempts++) {
      const s = connect({ host: '127.0.0.1', port, localAddress: BANNED });
      const t = setTimeout(() => s.destroy(), 200);
      s.on('error', () => {});
      s.once('connect', () => {
        answered++;
        s.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      });
      s.once('close', () => clearTimeout(t));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 300));
  return { attempts, answered };
}

async function run(originPort: number, firewall: boolean, sock: string): Promise<Record<string, number | string>> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = join(tmp, `shield-${port}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'rampart.yaml'),
    `listen: 127.0.0.1:${port}\norigin: http://127.0.0.1:${originPort}\nhosts: [localhost, 127.0.0.1]\ndata_dir: ${dir}\nlog: { level: error }\nworkers: 1\n` +
      `admin: { listen: 127.0.0.1:${adminPort}, token: ${TOKEN} }\n` +
      (firewall ? `firewall: { backend: nftables, socket: ${sock} }\n` : ''),
  );
  const shield = await start(
    process.execPath,
    [join(ROOT, 'bin/rampart.js'), 'start', '-c', join(dir, 'rampart.yaml')],
    /shielding/,
  );
  const admin = `http://127.0.0.1:${adminPort}`;
  const res = await fetch(`${admin}/api/bans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ target: BANNED, duration: '1h', reason: 'bench' }),
  });
  if (!res.ok) throw new Error(`ban: ${res.status} ${await res.text()}`);
  await new Promise((r) => setTimeout(r, 1000)); // the ban reaches the set (well within this)
  const a0 = await metric(admin, 'rampart_guard_accepted_total');
  const c0 = cpuMs(shield.pid!);
  const f = await flood(port);
  const cpu = cpuMs(shield.pid!) - c0;
  const accepted = (await metric(admin, 'rampart_guard_accepted_total')) - a0;
  shield.kill('SIGTERM');
  await new Promise((r) => shield.once('exit', r));
  return {
    firewall: firewall ? 'nftables' : 'off',
    attempts: f.attempts,
    answered: f.answered,
    accepted,
    cpuMs: Math.round(cpu),
  };
}

async function main(): Promise<void> {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  const sock = join(tmp, 'fw.sock');
  await start(process.execPath, [join(ROOT, 'bin/rampart.js'), 'firewall-helper', '--socket', sock], /listening/);
  const originPort = await freePort();
  await start(process.execPath, [join(ROOT, 'bench/load/hello-origin.mjs'), String(originPort)], /listening/);
  const off = await run(originPort, false, sock);
  log(JSON.stringify(off));
  const on = await run(originPort, true, sock);
  log(JSON.stringify(on));
  const ratio = (off.cpuMs as number) / Math.max(1, on.cpuMs as number);
  const out = [
    `# Kernel drop (bench/edge/firewall.ts), ${new Date().toISOString()}`,
    '',
    `A banned address (${BANNED}) opens ${RATE} connections a second for ${SECONDS} s against Rampart's plain listener (one worker), inside a network namespace; nft ${execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim()}.`,
    '',
    '| firewall.backend | attempts | answered | accepted by Rampart | Rampart CPU |',
    '|---|---|---|---|---|',
    ...[off, on].map((r) => `| ${r.firewall} | ${r.attempts} | ${r.answered} | ${r.accepted} | ${r.cpuMs} ms |`),
    '',
    `CPU ratio off / nftables: ${ratio.toFixed(1)}× (Rampart's CPU with the set in place is its idle tick: the flood never reaches it).`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    try {
      execFileSync('nft', ['delete', 'table', 'inet', 'rampart'], { stdio: 'ignore' });
    } catch {
      // not created
    }
    rmSync(tmp, { recursive: true, force: true });
  });
