// The memory phase of bench/load: resident memory of every process of
// `rampart demo`, and of `rampart start` on the defaults (workers: auto, one
// per core), idle and after N distinct sources. The sources are
// X-Forwarded-For addresses from a trusted 127.0.0.1, one request each, sent
// by wrk with a Lua counter (a bijection of the counter over IPv4, so every
// address differs); detector enforcement is `observe` so that every request
// goes the whole way (the worst case for memory: nothing is refused early).
// Not a test: figures are printed beside the budget, nothing asserts.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ProcessMemory } from './report.js';
import { childPids, rssOf, waitOutput } from '../../test/helpers/proc.js';

export interface MemoryOptions {
  root: string;
  tmp: string;
  sources: number;
  clientCore: string;
  nodeFlags: readonly string[];
  log(s: string): void;
  children: ChildProcess[];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

const LUA = `-- one distinct X-Forwarded-For address per request (counter x odd constant mod 2^32)
local n = 0
local offset = 0
function init(args) offset = tonumber(args[1]) or 0 end
function request()
  n = n + 1
  local v = ((offset + n) * 2654435761) % 4294967296
  local ip = string.format("%d.%d.%d.%d", math.floor(v / 16777216) % 256, math.floor(v / 65536) % 256, math.floor(v / 256) % 256, v % 256)
  return wrk.format(nil, "/", { ["X-Forwarded-For"] = ip })
end
`;

export async function measureMemory(o: MemoryOptions): Promise<ProcessMemory[]> {
  const out: ProcessMemory[] = [];
  const bin = join(o.root, 'bin/rampart.js');
  const spawnTracked = (cmd: string, argv: string[]) => {
    const c = spawn(cmd, argv, { cwd: o.tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    o.children.push(c);
    return c;
  };

  // rampart demo: one process (shield, demo site, dashboard).
  o.log('memory: rampart demo, idle');
  const demo = spawnTracked(process.execPath, [
    ...o.nodeFlags,
    bin,
    'demo',
    '--listen',
    `127.0.0.1:${await freePort()}`,
    '--admin',
    `127.0.0.1:${await freePort()}`,
  ]);
  await waitOutput(demo, /Press Ctrl\+C/, 'rampart demo', 60_000);
  await sleep(5000);
  out.push({ phase: 'idle: rampart demo', process: 'demo (one process)', ...rssOf(demo.pid!) });
  await stop(demo);

  // rampart start on the defaults: a primary and one worker per core.
  const originPort = await freePort();
  const origin = spawnTracked(process.execPath, [join(o.root, 'bench/load/hello-origin.mjs'), String(originPort)]);
  await waitOutput(origin, /listening/, 'origin', 60_000);
  const port = await freePort();
  const cfg = join(o.tmp, 'rampart-defaults.yaml');
  writeFileSync(
    cfg,
    `listen: 127.0.0.1:${port}\norigin: http://127.0.0.1:${originPort}\nhosts: [127.0.0.1]\ndata_dir: ${o.tmp}/data-defaults\nadmin:\n  listen: 127.0.0.1:0\ntrusted_proxies: [127.0.0.1/32]\nlog:\n  level: warn\ndetector:\n  enforcement: observe\n`,
  );
  o.log('memory: rampart start (defaults), idle');
  const start = spawnTracked(process.execPath, [...o.nodeFlags, bin, 'start', '-c', cfg]);
  await waitOutput(start, /shielding/, 'rampart start', 60_000);
  await sleep(5000);
  const pids = [start.pid!, ...childPids(start.pid!)];
  const label = (i: number) => (i === 0 ? 'start: primary' : `start: worker ${i}`);
  const sampleAll = (phase: string) => {
    for (let i = 0; i < pids.length; i++) out.push({ phase, process: label(i), ...rssOf(pids[i]) });
  };
  sampleAll('idle: rampart start, defaults');

  if (o.sources > 0) {
    const lua = join(o.tmp, 'sources.lua');
    writeFileSync(lua, LUA);
    let sent = 0;
    const t0 = Date.now();
    while (sent < o.sources) {
      const seconds = 15;
      const text = execFileSync(
        'taskset',
        [
          '-c',
          o.clientCore,
          'wrk',
          '-t1',
          '-c64',
          `-d${seconds}s`,
          '-s',
          lua,
          `http://127.0.0.1:${port}/`,
          '--',
          String(sent),
        ],
        { encoding: 'utf8' },
      );
      const n = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
      if (n === 0) throw new Error(`wrk sent nothing:\n${text}`);
      sent += n;
      o.log(`memory: ${sent} distinct sources sent (${Math.round((sent * 1000) / (Date.now() - t0))}/s)`);
    }
    // 5 s: a few ticks (the seconds close, the detector folds them in); 30 s: V8's memory reducer has
    // run (it shrinks the heap grown under load once allocation slows down, after ~8 s and more).
    await sleep(5000);
    sampleAll(`5 s after ${sent.toLocaleString('en')} distinct sources: rampart start, defaults`);
    await sleep(25_000);
    sampleAll(`30 s after ${sent.toLocaleString('en')} distinct sources: rampart start, defaults`);
  }
  await stop(start);
  await stop(origin);
  return out;
}
