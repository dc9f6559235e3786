// The start-up transient, measured alone: `rampart start` defaults in front of
// the demo origin, started into a flood that is already running (a child
// process: N loopback sources, keep-alive, browser headers, no cookies, each at
// R req/s), and a person's ladder every 100 ms from the moment it listens —
// GET a page, follow whichever check answers (the cookie check's 307; the
// assets check's stylesheet and reload), until the page — timed end to end. Prints, per
// accept policy (NODE_CLUSTER_SCHED_POLICY: `none`, Rampart's default, or
// `rr`), each run's worst ladder, how many took over 500 ms, the median, and
// how many connections the kernel dropped from a full accept queue meanwhile.
// PROBE_HOPS=1 also prints each ladder over 500 ms hop by hop (its start
// after the shield listened, then ms:status per request).
// A benchmark (real processes and sockets, timings): never part of npm test.
//
//   node --import tsx bench/drills/start-probe.ts [--sources 2000] [--rate 1.25]
//     [--runs 2] [--policies none,rr] [--seconds 5]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CookieJar } from '../../src/drill/cookie-jar.js';
import { rampartDefaults } from './campaign-env.js';

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
};

interface Answer {
  ms: number;
  status: number;
  verdict: string;
  cookies: string[];
}

function get(port: number, ip: string, path: string, cookie: string): Promise<Answer> {
  const t = performance.now();
  const headers: Record<string, string> = cookie === '' ? { ...BROWSER } : { ...BROWSER, cookie };
  return new Promise((resolve) => {
    const done = (status: number, verdict: string, cookies: string[]) =>
      resolve({ ms: performance.now() - t, status, verdict, cookies });
    const r = request({ host: '127.0.0.1', port, path, localAddress: ip, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        done(res.statusCode ?? 0, String(res.headers['rampart-verdict'] ?? ''), res.headers['set-cookie'] ?? []),
      );
    });
    r.on('error', () => done(0, 'error', []));
    r.end();
  });
}

let ZERO = 0;

/** One person's way to the page; its total time, or -1 when a request failed. */
async function ladder(port: number, ip: string): Promise<number> {
  const jar = new CookieJar();
  let total = 0;
  let path = '/';
  const hops: string[] = [];
  const t0 = performance.now();
  for (let hop = 0; hop < 6; hop++) {
    const a = await get(port, ip, path, jar.header());
    total += a.ms;
    hops.push(`${Math.round(a.ms)}:${a.status}`);
    if (process.env.PROBE_HOPS && total > 500) console.log(`  ${Math.round(t0 - ZERO)} ms: ${hops.join(' ')}`);
    if (a.status === 0) return -1;
    jar.store(a.cookies);
    if (a.verdict === 'challenge/mark' && a.status === 403) path = '/.rampart/challenge/mark.css';
    else if (path !== '/' || a.status === 307) path = '/';
    else return total;
  }
  return total;
}

/** The flood (child mode): `sources` keep-alive agents on their own loopback addresses, each at `rate` req/s. */
function flood(port: number, sources: number, rate: number): void {
  const agents = Array.from(
    { length: sources },
    (_, i) =>
      new Agent({
        keepAlive: true,
        maxSockets: 2,
        localAddress: `127.${10 + (i >> 14)}.${(i >> 6) & 255}.${(i & 63) + 1}`,
      }),
  );
  let inflight = 0;
  let k = 0;
  let credit = 0;
  let last = Date.now();
  const total = sources * rate;
  setInterval(() => {
    const now = Date.now();
    credit = Math.min(credit + ((now - last) / 1000) * total, total * 0.2 + 1);
    last = now;
    for (; credit >= 1; credit--) {
      if (inflight > 4096) continue;
      inflight++;
      const r = request(
        { host: '127.0.0.1', port, path: '/', headers: BROWSER, agent: agents[k++ % sources] },
        (res) => {
          res.resume();
          res.on('end', () => inflight--);
        },
      );
      r.on('error', () => inflight--);
      r.end();
    }
  }, 5);
}

async function run(sources: number, rate: number, seconds: number): Promise<number[]> {
  const env = await rampartDefaults();
  const port = Number(new URL(env.target.origin).port);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    [...process.execArgv, self, '--flood', String(port), String(sources), String(rate)],
    {
      stdio: 'ignore',
    },
  );
  try {
    await new Promise((r) => setTimeout(r, 1500));
    if (env.shield === null) throw new Error('the campaign environment has no shield to start');
    await env.shield.start();
    ZERO = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < seconds * 10; i++) {
      pending.push(ladder(port, `127.0.9.${(i % 250) + 1}`));
      await new Promise((r) => setTimeout(r, 100));
    }
    return (await Promise.all(pending)).filter((t) => t >= 0);
  } finally {
    child.kill();
    await env.close();
  }
}

/**
 * The kernel's count of connections dropped because a listener's accept queue was full (TcpExt
 * ListenOverflows, this machine's whole count: run nothing else meanwhile), or null off Linux.
 */
function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    const i = names.indexOf('ListenOverflows');
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      flood: { type: 'boolean', default: false },
      sources: { type: 'string', default: '2000' },
      rate: { type: 'string', default: '1.25' },
      runs: { type: 'string', default: '2' },
      policies: { type: 'string', default: 'none,rr' },
      seconds: { type: 'string', default: '5' },
    },
    allowPositionals: true,
  });
  if (values.flood) {
    const [port, sources, rate] = process.argv.slice(-3).map(Number);
    return flood(port, sources, rate);
  }
  const sources = Number(values.sources);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  for (const policy of values.policies.split(',')) {
    if (policy !== 'none' && policy !== 'rr') throw new Error(`--policies: none or rr, not ${JSON.stringify(policy)}`);
    process.env.NODE_CLUSTER_SCHED_POLICY = policy;
    for (let r = 0; r < Number(values.runs); r++) {
      const before = listenOverflows();
      const t = (await run(sources, rate, seconds)).sort((a, b) => a - b);
      const overflows = before === null ? 'n/a' : String((listenOverflows() ?? before) - before);
      const worst = Math.round(t[t.length - 1] ?? 0);
      const over = t.filter((x) => x > 500).length;
      const median = Math.round(t[Math.floor(t.length / 2)] ?? 0);
      console.log(
        `${policy}: ${sources} sources × ${rate}/s — ladders ${t.length}, worst ${worst} ms, over 500 ms ${over}, median ${median} ms; listen queue overflows ${overflows}`,
      );
    }
  }
}

await main();
