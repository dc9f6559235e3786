// Runs inside a network namespace of its own (`unshare -n`, started by
// test/integration/firewall-netns.test.ts): loopback up, the real firewall
// helper (`rampart firewall-helper`, a child process) and a real shield with
// firewall.backend nftables, clients from 127.x addresses. Drives the CLI
// (`rampart ban add|rm`) and prints one JSON line of observations; the test
// asserts on them. Never touches the host's rules: the namespace has its own.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoOrigin } from './echo-origin.js';
import { startShield } from './shield.js';
import { redisAvailable, startRedis } from './redis-server.js';
import { waitFor } from './wait.js';

const BIN = fileURLToPath(new URL('../../bin/rampart.js', import.meta.url));
const TOKEN = 'firewall-netns-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'rampart-fw-'));
const sock = join(dir, 'fw.sock');
const out: Record<string, unknown> = {};
const run = promisify(execFile);

/** 'ok': connected; 'dropped': no answer in `ms` (the kernel dropped the SYN); 'refused': RST. */
function probe(port: number, from: string, ms = 300): Promise<'ok' | 'dropped' | 'refused'> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    const t = setTimeout(() => {
      s.destroy();
      resolve('dropped');
    }, ms);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('ok');
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve('refused');
    });
  });
}

function nft(...args: string[]): string {
  try {
    return execFileSync('nft', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

const inSet = (ip: string) => nft('get', 'element', 'inet', 'rampart', 'ban4', `{ ${ip} }`).includes('elements');

/** The real CLI in its own process (async: the shield in this process must answer it). */
async function cli(...args: string[]): Promise<string> {
  return (await run(process.execPath, [BIN, ...args, '--admin', admin, '--token', TOKEN], { encoding: 'utf8' })).stdout;
}

/** Waits for `cond` (helpers/wait.ts); resolves with how long it took, which the test reports. */
async function until(what: string, cond: () => Promise<boolean> | boolean, maxMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(cond, { what, timeoutMs: maxMs, intervalMs: 25 });
  return Date.now() - t0;
}

function startHelper() {
  const p = spawn(process.execPath, [BIN, 'firewall-helper', '--socket', sock], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<typeof p>((resolve, reject) => {
    let text = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (text.includes('listening')) resolve(p);
    });
    p.once('exit', (c) => reject(new Error(`helper exited ${c}: ${text}`)));
  });
}

let admin = '';
let stopped = false;
execFileSync('ip', ['link', 'set', 'lo', 'up']);
let helper = await startHelper();
const origin = await startEchoOrigin();
const app = await startShield(origin.url, {
  admin: { listen: '127.0.0.1:0', token: TOKEN },
  policy: { allow: ['127.5.0.9'] },
  firewall: { backend: 'nftables', socket: sock, reconcile_interval: '2s' },
});
admin = app.control.url();
/** Connections the shield accepted so far (its metrics, as an operator reads them). */
const readAccepted = async () => {
  const text = await (await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  return Number(/^rampart_guard_accepted_total(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? NaN);
};
try {
  const port = app.port;
  out.before = await probe(port, '127.7.0.1');

  // 1. rampart ban add: dropped in the kernel within a second; the accept counter stays flat.
  await cli('ban', 'add', '127.7.0.1', '--for', '4s', '--reason', 'netns test');
  const t0 = Date.now();
  out.dropAfterMs = await until(
    'the ban to reach the kernel',
    async () => (await probe(port, '127.7.0.1', 150)) === 'dropped',
    5000,
  ).then(() => Date.now() - t0);
  const acceptedBefore = await readAccepted();
  const attempts = await Promise.all(Array.from({ length: 20 }, () => probe(port, '127.7.0.1', 300)));
  out.attempts = attempts.filter((a) => a === 'dropped').length;
  out.acceptedDelta = (await readAccepted()) - acceptedBefore;
  out.acceptedOther = await probe(port, '127.7.0.2')
    .then(readAccepted)
    .then((n) => n - acceptedBefore);
  out.inSetWhileBanned = inSet('127.7.0.1');

  // 2. The element expires with the ban (4 s).
  out.expiredAfterMs = await until('the element to expire', () => !inSet('127.7.0.1'), 8000).then(
    () => Date.now() - t0,
  );
  out.afterExpiry = await probe(port, '127.7.0.1');

  // 3. rampart ban rm removes it.
  await cli('ban', 'add', '127.7.0.3', '--for', '1h');
  await until('127.7.0.3 in the set', () => inSet('127.7.0.3'), 3000);
  await cli('ban', 'rm', '127.7.0.3');
  out.removedAfterMs = await until('127.7.0.3 out of the set', () => !inSet('127.7.0.3'), 3000);
  out.afterRm = await probe(port, '127.7.0.3');

  // 4. A re-ban refreshes the element's timeout.
  await cli('ban', 'add', '127.7.0.4', '--for', '3s');
  await until('127.7.0.4 in the set', () => inSet('127.7.0.4'), 3000);
  await cli('ban', 'add', '127.7.0.4', '--for', '1h');
  // Past the first ban's 3 s element timeout in the kernel set: elapsed time is the point here.
  await new Promise((r) => setTimeout(r, 3500)); // fixed-wait-ok: outlives the first ban's 3 s nft timeout
  out.rebanStillInSet = inSet('127.7.0.4');

  // 5. The allow list wins: a CIDR ban around an allowed address leaves it out of the set.
  await cli('ban', 'add', '127.5.0.0/24', '--for', '1h');
  await until('the CIDR in the set', () => inSet('127.5.0.10'), 3000);
  out.allowedInSet = inSet('127.5.0.9');
  out.allowedServed = await probe(port, '127.5.0.9');
  out.neighbourDropped = await probe(port, '127.5.0.10');
  await cli('ban', 'add', '127.5.0.9', '--for', '1h');
  await new Promise((r) => setTimeout(r, 500));
  out.allowedBannedDirectlyInSet = inSet('127.5.0.9');

  // 6. After a helper restart with an emptied set, the reconcile restores the bans.
  helper.kill('SIGTERM');
  await new Promise((r) => helper.once('exit', r));
  nft('flush', 'set', 'inet', 'rampart', 'ban4');
  out.flushed = !inSet('127.7.0.4');
  helper = await startHelper();
  out.restoredAfterMs = await until('the reconcile to restore the set', () => inSet('127.7.0.4'), 8000);

  // 7. Two nodes on one Redis: a ban made on node A (no firewall) lands in node B's set.
  await app.stop();
  stopped = true;
  if (redisAvailable()) {
    const redis = await startRedis();
    const state = { backend: 'redis', redis: { url: redis.url } };
    const a = await startShield(origin.url, { admin: { listen: '127.0.0.1:0', token: TOKEN }, state });
    const b = await startShield(origin.url, {
      admin: { listen: '127.0.0.1:0', token: TOKEN },
      state,
      firewall: { backend: 'nftables', socket: sock, reconcile_interval: '2s' },
    });
    try {
      admin = a.control.url();
      await cli('ban', 'add', '127.8.0.1', '--for', '1h', '--reason', 'made on node A');
      out.otherNodeBanInSetAfterMs = await until("node A's ban in node B's set", () => inSet('127.8.0.1'), 8000);
      out.otherNodeDropped = await probe(b.port, '127.8.0.1');
    } finally {
      await b.stop();
      await a.stop();
      await redis.stop();
    }
  } else out.otherNodeBanInSetAfterMs = 'redis-server missing';
  out.ok = true;
} catch (e) {
  out.error = (e as Error).message;
} finally {
  if (!stopped) await app.stop();
  await origin.close();
  helper.kill('SIGTERM');
  nft('delete', 'table', 'inet', 'rampart');
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
