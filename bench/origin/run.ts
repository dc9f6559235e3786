// Origin-protection benchmark (issue 5 targets), one run on loopback: the
// demo origin with a fixed capacity in a child process (origin-child.ts), a
// full Rampart and the load generator in this one. Prints one table.
//   node --import tsx bench/origin/run.ts [--seconds 6] [--capacity 8] [--origin-delay-ms 5] [--attackers 128]
//     [--auto] (adaptive concurrency with max_concurrency = capacity) [--reserve 0.25]
// Policy rate limits, the challenge and the detector are off so that what is
// measured is origin protection alone (with them on, the attack is smaller).
import { Pool } from 'undici';
import { createApp } from '../../src/app/app.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { fork, type ChildProcess } from 'node:child_process';
import type { DemoOriginStats } from '../../src/demo/origin.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 6);
const CAPACITY = arg('capacity', 8);
const DELAY = arg('origin-delay-ms', 5);
const ATTACKERS = arg('attackers', 128);
const DONORS = 4;
const AUTO = process.argv.includes('--auto');
const RESERVE = arg('reserve', 0.25);

interface Tally {
  ok: number;
  fail: number;
  lat: number[];
  statuses: Record<string, number>;
}
const tally = (): Tally => ({ ok: 0, fail: 0, lat: [], statuses: {} });
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function call(pool: Pool, method: string, path: string, body?: string) {
  const t0 = performance.now();
  const r = await pool.request({
    method,
    path,
    body,
    headers: body ? { 'content-type': 'application/x-www-form-urlencoded', host: '127.0.0.1' } : { host: '127.0.0.1' },
  });
  await r.body.text();
  return { status: r.statusCode, verdict: String(r.headers['rampart-verdict'] ?? ''), ms: performance.now() - t0 };
}

/** Runs `n` loops of `step` until `until`; counts successes, failures and latencies. */
async function loops(n: number, until: number, step: (i: number) => Promise<boolean>, t: Tally | null): Promise<void> {
  const one = async (i: number) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await step(i);
      } catch {
        ok = false;
      }
      if (t) {
        if (ok) t.ok++;
        else t.fail++;
        t.lat.push(performance.now() - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: n }, (_, i) => one(i)));
}

/** One donor: load the form, then submit it. */
const donate = (pool: Pool) => async (i: number) => {
  const a = await call(pool, 'GET', '/donate');
  const b = await call(pool, 'POST', '/donate', `name=Donor${i}&amount=20`);
  return a.status === 200 && b.status === 200;
};

/** The demo origin in a child process, driven over IPC. */
async function startOriginChild() {
  const child: ChildProcess = fork(
    new URL('./origin-child.ts', import.meta.url).pathname,
    [String(CAPACITY), String(DELAY)],
    { execArgv: ['--import', 'tsx'] },
  );
  const next = <T>() => new Promise<T>((r) => child.once('message', (m) => r(m as T)));
  const { url } = await next<{ url: string }>();
  const ask = async (cmd: string) => {
    const reply = next<{ stats?: DemoOriginStats }>();
    child.send({ cmd });
    return (await reply).stats!;
  };
  return {
    url,
    stats: () => ask('stats'),
    reset: () => ask('reset'),
    close: async () => {
      const done = next();
      child.send({ cmd: 'close' });
      await done;
    },
  };
}

async function main() {
  const origin = await startOriginChild();
  const config = loadConfigObject({
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    admin: { listen: '127.0.0.1:0' },
    challenge: { enabled: false },
    detector: { enabled: false },
    policy: { rate_limits: { enabled: false } },
    limits: { max_connections_per_ip: 100_000 },
    origin_protection: {
      admission: AUTO
        ? { concurrency: 'auto', min_concurrency: 2, max_concurrency: CAPACITY, reserved_share: RESERVE }
        : { concurrency: CAPACITY, reserved_share: RESERVE },
    },
  });
  const app = createApp(config, { log: createLogger('silent') });
  await app.start();
  const shield = new Pool(app.url(), { connections: ATTACKERS + DONORS + 32, pipelining: 1 });
  const bare = new Pool(origin.url, { connections: 64, pipelining: 1 });
  const ms = SECONDS * 1000;
  const rows: string[][] = [];

  // 1. Donations on a quiet site.
  const quiet = tally();
  await loops(DONORS, performance.now() + ms, donate(shield), quiet);

  // 2. The same donations while an attack saturates /search.
  await origin.reset();
  const under = tally();
  const attack = tally();
  const end = performance.now() + ms;
  await Promise.all([
    loops(DONORS, end, donate(shield), under),
    loops(
      ATTACKERS,
      end,
      async () => {
        const r = await call(shield, 'GET', `/search?q=${Math.random().toString(36).slice(2)}`);
        attack.statuses[`${r.status} ${r.verdict}`] = (attack.statuses[`${r.status} ${r.verdict}`] ?? 0) + 1;
        return r.status === 200;
      },
      attack,
    ),
  ]);
  const attackStats = await origin.stats();
  const adm = app.admissionStats()!;

  // 3. The cached home page: the origin's own throughput vs through Rampart, same client concurrency.
  const home = (pool: Pool) => async () => (await call(pool, 'GET', '/')).status === 200;
  const direct = tally();
  await loops(32, performance.now() + ms / 2, home(bare), direct);
  await call(shield, 'GET', '/');
  await call(shield, 'GET', '/materials');
  const cached = tally();
  await loops(32, performance.now() + ms / 2, home(shield), cached);
  const directRps = direct.ok / (ms / 2000);
  const cachedRps = cached.ok / (ms / 2000);

  // 4. The origin stopped: cached pages keep being served, the rest gets the branded page quickly.
  await origin.close();
  await bare.close();
  const down: Record<string, Tally> = {
    '/': tally(),
    '/materials': tally(),
    '/donate': tally(),
    '/search?q=water': tally(),
  };
  const verdicts: Record<string, Record<string, number>> = {};
  await loops(
    8,
    performance.now() + ms / 2,
    async (i) => {
      const path = Object.keys(down)[i % 4];
      const r = await call(shield, 'GET', path);
      const v = (verdicts[path] ??= {});
      v[`${r.status} ${r.verdict}`] = (v[`${r.status} ${r.verdict}`] ?? 0) + 1;
      const branded = (r.status === 502 || r.status === 503) && r.verdict.startsWith('origin/');
      down[path].lat.push(r.ms);
      return i % 4 < 2 ? r.status === 200 : branded;
    },
    null,
  );
  for (const [p, t] of Object.entries(down)) {
    const v = verdicts[p] ?? {};
    t.ok = Object.entries(v)
      .filter(([k]) => (p === '/' || p === '/materials' ? k.startsWith('200') : /^50[23] origin\//.test(k)))
      .reduce((a, [, n]) => a + n, 0);
    t.fail = Object.values(v).reduce((a, n) => a + n, 0) - t.ok;
  }

  const rate = (t: Tally) => (100 * t.ok) / Math.max(1, t.ok + t.fail);
  const qp99 = pct(quiet.lat, 99);
  const up99 = pct(under.lat, 99);
  rows.push([
    'origin peak in flight under attack (running + queued at the origin)',
    `${attackStats.peakInFlight}`,
    `≤ ${CAPACITY}`,
    attackStats.peakInFlight <= CAPACITY ? 'met' : 'MISSED',
  ]);
  rows.push([
    'donate flow success under attack',
    `${rate(under).toFixed(2)}% (${under.ok}/${under.ok + under.fail})`,
    '≥ 99%',
    rate(under) >= 99 ? 'met' : 'MISSED',
  ]);
  rows.push([
    'donate flow p99 quiet → under attack (ms)',
    `${qp99.toFixed(1)} → ${up99.toFixed(1)} (${(up99 / qp99).toFixed(2)}x)`,
    '≤ 3x',
    up99 <= 3 * qp99 ? 'met' : 'MISSED',
  ]);
  rows.push([
    'cached home page: Rampart vs origin alone (req/s)',
    `${cachedRps.toFixed(0)} vs ${directRps.toFixed(0)} (${(cachedRps / directRps).toFixed(2)}x)`,
    '≥ 3x',
    cachedRps >= 3 * directRps ? 'met' : 'MISSED',
  ]);
  const cachedDown = rate({
    ...down['/'],
    ok: down['/'].ok + down['/materials'].ok,
    fail: down['/'].fail + down['/materials'].fail,
  });
  const brandedDown = rate({
    ...down['/donate'],
    ok: down['/donate'].ok + down['/search?q=water'].ok,
    fail: down['/donate'].fail + down['/search?q=water'].fail,
  });
  const maxDown = Math.max(...down['/donate'].lat, ...down['/search?q=water'].lat);
  rows.push([
    'origin stopped: cached pages served',
    `${cachedDown.toFixed(2)}%`,
    '100%',
    cachedDown === 100 ? 'met' : 'MISSED',
  ]);
  rows.push([
    'origin stopped: others get the branded 502/503 page; slowest (ms)',
    `${brandedDown.toFixed(2)}%; ${maxDown.toFixed(1)}`,
    `100%; < ${config.limits.originConnectTimeout}`,
    brandedDown === 100 && maxDown < config.limits.originConnectTimeout ? 'met' : 'MISSED',
  ]);

  console.log(
    `\nOrigin protection bench: demo origin capacity ${CAPACITY} (+${DELAY} ms a request, /search 4 ms CPU), admission ${AUTO ? `auto (max ${CAPACITY})` : `fixed ${CAPACITY}`}, reserved_share ${RESERVE}, ${ATTACKERS} attack loops on /search, ${DONORS} donor loops, ${SECONDS}s phases, Node ${process.version}, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}\n`,
  );
  console.log('| measure | result | target | |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('\nattack responses:', JSON.stringify(attack.statuses));
  console.log(
    'attack requests that reached the origin:',
    attackStats.byRoute['/search'] ?? 0,
    'of',
    attack.ok + attack.fail,
    '; origin rejected (its own 503):',
    attackStats.rejected,
  );
  console.log(
    'admission:',
    JSON.stringify({
      shed: adm.shed,
      expired: adm.expired,
      admitted: adm.admitted,
      limit: adm.limit,
      originMs: adm.originMs,
    }),
  );
  console.log('origin stopped, by path:', JSON.stringify(verdicts));
  console.log(
    'quiet donate p50/p99 ms:',
    pct(quiet.lat, 50).toFixed(1),
    qp99.toFixed(1),
    '; under attack:',
    pct(under.lat, 50).toFixed(1),
    up99.toFixed(1),
  );
  await shield.close();
  await app.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
