// The package as a new user gets it: `npm pack`, then `npm install <tarball>`
// into an empty folder (production dependencies only, so no tsx and no
// TypeScript), then `rampart demo` and `rampart start` (two workers) from that
// folder answer through the shield. No process of either loads a TypeScript
// loader: tsx is not even installed there, and no command line names one.
// Slow (better-sqlite3 compiles from source, ~80 s): one install for both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT, spawnRampart, type Child } from './cli-child.js';
import { childPids, rssOf } from '../helpers/proc.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-pack-'));
const installed = join(dir, 'node_modules', 'rampart');
const bin = join(installed, 'bin', 'rampart.js');
const children: Child[] = [];
let origin: Server;
let originUrl = '';

/** Node's headers for native addons (better-sqlite3 builds from source here), as .ci/run finds them. */
function nodedir(): string | undefined {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  for (const d of ['/usr', '/usr/local', dirname(dirname(process.execPath))])
    if (existsSync(join(d, 'include/node/node.h'))) return d;
  return undefined;
}

/** The command line of a process and of its children (the cluster's workers). */
function cmdlines(pid: number): string[] {
  const line = (p: number) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return ''; // the process left meanwhile
    }
  };
  return [pid, ...childPids(pid)].map(line).filter((l) => l !== '');
}

before(
  async () => {
    // --ignore-scripts: pack the dist/ that `npm test` built (prepare would rebuild it under the other tests' feet).
    const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'campaign-site', private: true }));
    const env = { ...process.env, npm_config_nodedir: nodedir() ?? '', JOBS: '2' };
    const r = spawnSync(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(dir, tgz)],
      { cwd: dir, env, encoding: 'utf8', timeout: 480_000 },
    );
    assert.equal(r.status, 0, `npm install <tarball> failed:\n${r.stdout}\n${r.stderr}`);
    origin = createServer((req, res) => res.end(`origin saw ${req.url}`));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  },
  { timeout: 600_000 },
);

after(async () => {
  for (const c of children) await c.stop();
  await new Promise((r) => origin?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds the compiled package, and its install has no TypeScript tooling', { timeout: 600_000 }, () => {
  assert.ok(existsSync(join(installed, 'dist', 'cli', 'main.js')), 'dist/cli/main.js is in the package');
  assert.ok(
    existsSync(join(installed, 'dist', 'challenge', 'assets', 'worker.js')),
    'the challenge scripts are beside their module',
  );
  assert.ok(!existsSync(join(installed, 'src')), 'no TypeScript sources in the package');
  for (const dev of ['tsx', 'typescript', 'esbuild'])
    assert.ok(!existsSync(join(dir, 'node_modules', dev)), `${dev} is not installed with production dependencies`);
  const out = execFileSync(process.execPath, [bin, '--version'], { cwd: dir, encoding: 'utf8' });
  assert.match(out, /^rampart \d+\.\d+\.\d+/);
});

test('rampart demo from the installed package serves the campaign site through the shield', {
  timeout: 120_000,
}, async () => {
  const c = spawnRampart(['demo', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], { cwd: dir, bin });
  children.push(c);
  const [, url] = await c.waitFor(/campaign site \(through the shield\): (http:\/\/\S+?)\/\s/, 60_000);
  const res = await fetch(`${url}/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('rampart-verdict'), 'default/allow');
  assert.match(await res.text(), /<html/i);
  const lines = cmdlines(c.proc.pid!);
  assert.equal(lines.length, 1, 'the demo is one process');
  for (const l of lines) assert.doesNotMatch(l, /tsx|--import|--loader/, `no TypeScript loader: ${l}`);
  // A generous ceiling (measured ~70 MiB; ~170 MiB when it ran through tsx): docs/deployment.md has the budget.
  const rss = rssOf(c.proc.pid!).now;
  assert.ok(rss < 120, `the demo holds ${rss.toFixed(1)} MiB resident after one page`);
  c.proc.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});

test('rampart start with two workers from the installed package forwards to the origin', {
  timeout: 120_000,
}, async () => {
  const cfg = join(dir, 'rampart.yaml');
  writeFileSync(
    cfg,
    `listen: 127.0.0.1:0\norigin: ${originUrl}\nhosts: [127.0.0.1]\nworkers: 2\ndata_dir: ./data\nadmin:\n  listen: 127.0.0.1:0\nlog:\n  level: warn\n`,
  );
  const c = spawnRampart(['start', '-c', cfg], { cwd: dir, bin });
  children.push(c);
  const [, url] = await c.waitFor(/shielding \S+ at (http:\/\/\S+) with 2 workers/, 60_000);
  const res = await fetch(`${url}/hello`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'origin saw /hello');
  const lines = cmdlines(c.proc.pid!);
  assert.equal(lines.length, 3, `a primary and two workers:\n${lines.join('\n')}`);
  for (const l of lines) assert.doesNotMatch(l, /tsx|--import|--loader|\.ts\b/, `no TypeScript loader: ${l}`);
  assert.ok(
    lines.slice(1).every((l) => l.includes(join('dist', 'app', 'cluster-worker.js'))),
    'the workers run the compiled worker',
  );
  // A generous ceiling for the three processes (measured ~190 MiB idle; ~450 MiB through tsx).
  const total = [c.proc.pid!, ...childPids(c.proc.pid!)].reduce((a, p) => a + rssOf(p).now, 0);
  assert.ok(total < 300, `primary and workers hold ${total.toFixed(1)} MiB resident`);
  c.proc.kill('SIGTERM');
  assert.equal(await c.exited, 0);
});
