// `rampart start` as a real process: an origin that is down at start (warn,
// 502, then served once it appears), SIGHUP reload (a good file applies, a
// bad file is refused and the old config keeps serving), and SIGTERM
// draining an in-flight request before the process exits 0.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnRampart, type Child } from './cli-child.js';
import { waitFor } from '../helpers/wait.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
const children: Child[] = [];
const servers: Server[] = [];
after(async () => {
  for (const c of children) await c.stop();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** An origin that names itself in every answer; /slow/MS waits first. */
async function namedOrigin(name: string, port = 0): Promise<{ url: string; port: number; hits: string[] }> {
  const hits: string[] = [];
  const s = createServer((req, res) => {
    hits.push(req.url ?? '');
    const m = /^\/slow\/(\d+)/.exec(req.url ?? '');
    setTimeout(() => res.end(`origin ${name}`), m ? Number(m[1]) : 0);
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${p}`, port: p, hits };
}

function writeConfig(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, body);
  return file;
}

const yaml = (origin: string) =>
  `listen: 127.0.0.1:0\norigin: ${origin}\nhosts: [127.0.0.1]\nadmin:\n  listen: 127.0.0.1:0\nlog:\n  level: info\n`;

async function startRampart(args: string[]): Promise<{ child: Child; base: string }> {
  const child = spawnRampart(['start', ...args], { cwd: tempDataDir('rampart-cli-') }); // its ./data is a temporary one
  children.push(child);
  const m = await child.waitFor(/shielding \S+ at (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, base: m[1] };
}

async function get(url: string): Promise<{ status: number; verdict: string | null; body: string }> {
  const r = await fetch(url);
  return { status: r.status, verdict: r.headers.get('rampart-verdict'), body: await r.text() };
}

test('origin unreachable at start: a warning, 502 origin/unavailable, then served once it appears', async () => {
  const port = await freePort();
  const { child, base } = await startRampart(['-c', writeConfig('down.yaml', yaml(`http://127.0.0.1:${port}`))]);
  await child.waitFor(/origin unreachable at start/);
  const down = await get(`${base}/x`);
  assert.equal(down.status, 502);
  assert.equal(down.verdict, 'origin/unavailable');
  await namedOrigin('late', port);
  const up = await get(`${base}/x`);
  assert.equal(up.status, 200);
  assert.equal(up.body, 'origin late');
  assert.equal(up.verdict, 'default/allow');
});

test('SIGHUP: a good file is applied; a bad file is refused and the old config keeps serving', async () => {
  const a = await namedOrigin('A');
  const b = await namedOrigin('B');
  const file = writeConfig('reload.yaml', yaml(a.url));
  const { child, base } = await startRampart(['-c', file]);
  assert.equal((await get(`${base}/`)).body, 'origin A');

  writeFileSync(file, yaml(b.url));
  child.proc.kill('SIGHUP');
  await child.waitFor(/configuration reloaded/);
  // Every worker reloads on its own (the first log line may come before the others have): poll, bounded.
  await waitFor(async () => (await get(`${base}/`)).body === 'origin B', {
    what: 'origin B behind every worker',
    intervalMs: 100,
  });

  writeFileSync(file, yaml(a.url).replace('log:\n', 'limits:\n  idle_timeout: forever\nlog:\n'));
  child.proc.kill('SIGHUP');
  await child.waitFor(/reload refused/);
  assert.match(child.stdout() + child.stderr(), /idle_timeout/, 'the refusal names the bad key');
  const still = await get(`${base}/`);
  assert.equal(still.status, 200);
  assert.equal(still.body, 'origin B', 'the old (B) configuration keeps serving');
  assert.equal(child.proc.exitCode, null, 'still running');
});

test('SIGHUP with flags given at start: the flags keep overriding the re-read file', async () => {
  const fileOrigin = await namedOrigin('file');
  const flagOrigin = await namedOrigin('flag');
  const file = writeConfig('flags.yaml', yaml(fileOrigin.url));
  const { child, base } = await startRampart(['-c', file, '--origin', flagOrigin.url, '--host', '127.0.0.1']);
  assert.equal((await get(`${base}/`)).body, 'origin flag');
  writeFileSync(file, yaml(fileOrigin.url).replace('level: info', 'level: debug'));
  child.proc.kill('SIGHUP');
  await child.waitFor(/configuration reloaded/);
  assert.equal((await get(`${base}/`)).body, 'origin flag', '--origin still wins after the reload');
});

test('SIGTERM drains the request in flight, then the process exits 0', async () => {
  const o = await namedOrigin('drain');
  const { child, base } = await startRampart(['--origin', o.url, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0']);
  const pending = get(`${base}/slow/1500`);
  await waitFor(() => o.hits.includes('/slow/1500'), { what: 'the slow request at the origin', intervalMs: 20 });
  child.proc.kill('SIGTERM');
  await child.waitFor(/SIGTERM, draining/);
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'origin drain');
  assert.equal(await child.exited, 0);
  await assert.rejects(fetch(`${base}/`), 'no longer listening after exit');
});
