// The detector through the real app, a real origin and real sockets from many
// loopback addresses (each client bound to its own 127.x.y.z): a single-source
// flood gets its address banned (refused at accept), a distributed flood from
// 400 addresses gets a mitigation on its signature (its requests refused, a
// browser still served), the mode rises and everything relaxes after the
// attack. Real time drives the app's one-second tick; waits are bounded polls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { DetectorEvent } from '../../src/detector/events.js';
import { sendRaw } from '../helpers/raw.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { CookieJars } from '../helpers/cookie-jar.js';
import { waitFor, waitForTicks } from '../helpers/wait.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
};
const BOT = { 'user-agent': 'python-requests/2.31.0', accept: '*/*' };

const DETECTOR = FAST_DETECTOR; // short windows: one test run shows start, mitigation and relaxation

interface Reply {
  status: number;
  verdict: string;
  /** Source address the request was sent from (set by flood). */
  ip?: string;
}

const agents = new Map<string, Agent>();
function agentFor(ip: string): Agent {
  let a = agents.get(ip);
  if (!a) agents.set(ip, (a = new Agent({ keepAlive: true, maxSockets: 8 })));
  return a;
}

// Clients with a browser's User-Agent keep cookies, as browsers do; the bots drop them.
const jars = new CookieJars();

function get(port: number, path: string, localAddress: string, headers: Record<string, string>): Promise<Reply> {
  const browser = headers === BROWSER;
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress,
        agent: agentFor(localAddress),
        headers: { host: '127.0.0.1', ...(browser ? jars.with(localAddress, headers) : headers) },
      },
      (res) => {
        if (browser) jars.keep(localAddress, res.headers);
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, verdict: String(res.headers['rampart-verdict'] ?? '') }),
        );
        res.on('error', () => resolve({ status: 0, verdict: '' }));
      },
    );
    req.on('error', () => resolve({ status: 0, verdict: '' }));
    req.end();
  });
}

/** Ordinary visitors until stopped: ~20 requests/s from 20 addresses, pages with assets. */
function browse(port: number): { stop(): Promise<void>; statuses: number[]; verdicts: string[] } {
  let on = true;
  const statuses: number[] = [];
  const verdicts: string[] = [];
  const loop = (async () => {
    for (let i = 0; on && i < 10_000; i++) {
      const ip = `127.0.1.${1 + (i % 20)}`;
      const path = i % 3 === 0 ? '/' : i % 3 === 1 ? `/news/${i % 7}` : '/assets/site.css';
      const r = await get(port, path, ip, BROWSER);
      statuses.push(r.status);
      if (r.status !== 200 && r.status !== 304) verdicts.push(`${ip} ${path} ${r.status} ${r.verdict}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const stop = async () => {
    on = false;
    await loop;
  };
  return { statuses, verdicts, stop };
}

/** Sends requests with `concurrency` workers until `done()` or `maxMs`; returns the replies. */
async function flood(
  concurrency: number,
  maxMs: number,
  next: (i: number) => [string, string, Record<string, string>],
  done: () => boolean,
): Promise<Reply[]> {
  const out: Reply[] = [];
  const until = Date.now() + maxMs;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until && !done()) {
        const [ip, path, headers] = next(i++);
        const r = await get(0 + portOf(), path, ip, headers);
        r.ip = ip;
        out.push(r);
      }
    }),
  );
  return out;
}
let currentPort = 0;
const portOf = () => currentPort;

async function setup() {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, { detector: DETECTOR, limits: { max_connections_per_ip: 1000 } });
  currentPort = app.port;
  const events: DetectorEvent[] = [];
  assert.ok(app.detector, 'the app exposes its detector');
  app.detector.onEvent((e) => events.push(e));
  const legit = browse(app.port);
  await waitFor(() => app.detector!.snapshot().warm, { what: 'the baseline to warm up', timeoutMs: 10_000 });
  await waitForTicks(app.detector, 1, 'one warm second of legit traffic in the baseline');
  return {
    origin,
    app,
    events,
    legit,
    async close() {
      await legit.stop();
      for (const a of agents.values()) a.destroy();
      agents.clear();
      await app.stop();
      await origin.close();
    },
  };
}

test('single-source flood: the address is banned, refused at accept, and the mode relaxes after', async () => {
  const s = await setup();
  try {
    const attacker = '127.0.9.9';
    const replies = await flood(
      16,
      8000,
      () => [attacker, '/', { 'user-agent': 'curl/8.5.0', accept: '*/*' }],
      () => s.app.state.isBanned(attacker, Date.now()) !== null,
    );
    const ban = s.app.state.isBanned(attacker, Date.now());
    assert.ok(ban, `no ban after ${replies.length} flood requests`);
    assert.equal(ban.rule, 'ban/auto-flood');
    assert.equal(ban.source, 'auto');
    assert.match(ban.reason, /\d+ requests\/s/);
    const start = s.events.find((e) => e.type === 'attack_start');
    assert.ok(
      start && start.type === 'attack_start' && start.vectors.some((v) => v.vector === 'single_source_flood'),
      JSON.stringify(start && start.type === 'attack_start' ? start.vectors : null),
    );
    assert.ok(
      s.events.some((e) => e.type === 'escalation' && e.to === 'elevated' && e.applied),
      'mode rose to elevated in state',
    );
    // A new connection from the banned address is refused before any HTTP parsing.
    const raw = await sendRaw(s.app.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      localAddress: attacker,
      quietMs: 300,
    });
    assert.equal(raw.status, 403);
    assert.match(raw.text, /ban/);
    assert.equal((await get(s.app.port, '/', '127.0.1.200', BROWSER)).status, 200, 'a visitor is still served');
    await waitFor(() => s.events.some((e) => e.type === 'attack_end'), {
      what: 'the incident to end',
      timeoutMs: 20_000,
    });
    await waitFor(() => s.app.state.mode() === 'normal', { what: 'mode normal', timeoutMs: 5000 });
    const end = s.events.find((e) => e.type === 'attack_end');
    assert.ok(
      end &&
        end.type === 'attack_end' &&
        end.totals.bans >= 1 &&
        end.signature.sources.some((x) => x.label === attacker),
    );
  } finally {
    await s.close();
  }
});

test('distributed flood from 400 addresses: a mitigation on its signature refuses it, a browser is served, then it relaxes', async () => {
  const s = await setup();
  try {
    const ipOf = (i: number) => `127.2.${1 + ((i >> 8) % 2)}.${1 + ((i & 255) % 200)}`;
    const signature = () => s.app.state.mitigations().find((x) => x.match.fingerprints.length > 0);
    const landed = () => signature() !== undefined;
    const before = await flood(32, 8000, (i) => [ipOf(i), `/news/${i % 3}`, BOT], landed);
    assert.ok(
      landed(),
      `no mitigation after ${before.length} flood requests: ${JSON.stringify(s.app.state.mitigations().map((x) => [x.rule, x.reason]))} ${JSON.stringify(s.events.filter((e) => e.type === 'attack_start'))}`,
    );
    assert.ok(
      s.app.state.mitigations().some((x) => x.rule === 'mitigate/check-cookie' && x.match.cookieless),
      "the cookie check for the surge's clients without the cookie",
    );
    const m = signature()!;
    assert.match(m.rule, /^mitigate\//);
    assert.ok(m.match.fingerprints.length === 1, 'scoped to the bot fingerprint');
    assert.ok(m.reason.length > 0 && m.figures.rps > 0, JSON.stringify(m));
    const start = s.events.find((e) => e.type === 'attack_start');
    assert.ok(
      start && start.type === 'attack_start' && start.vectors.some((v) => v.vector === 'distributed_flood'),
      JSON.stringify(start && start.type === 'attack_start' ? start.vectors : null),
    );
    // While the mitigation is in force, no address of the flood gets more than
    // its bucket allows (burst + rate × elapsed), however fast this machine sends.
    const t0 = Date.now();
    const after = await flood(
      16,
      1000,
      (i) => [ipOf(i + 7), `/news/${i % 3}`, BOT],
      () => false,
    );
    const elapsed = (Date.now() - t0) / 1000;
    const rate = Math.min(
      ...s.app.state
        .mitigations()
        .filter((x) => x.action === 'limit')
        .map((x) => x.rate),
      m.rate,
    );
    const budget = Math.ceil(rate) + rate * elapsed + 1;
    const passed = new Map<string, number>();
    for (const r of after) if (r.status === 200) passed.set(r.ip!, (passed.get(r.ip!) ?? 0) + 1);
    const worst = Math.max(0, ...passed.values());
    const refused = after.filter((r) => r.status !== 200).length;
    assert.ok(refused > 0, 'the flood is refused while the mitigation is in force');
    assert.ok(
      worst <= budget,
      `an address got ${worst} requests through in ${elapsed.toFixed(1)} s, more than its bucket (${budget.toFixed(1)}); verdicts: ${[...new Set(after.map((r) => r.verdict))].join(',')}`,
    );
    // A browser new to the site, asking for a page while the surge is young (within 30 s of the start),
    // meets the assets check, which sets the seen cookie: it loads the page's stylesheet with the cookie,
    // which marks it, reloads, and is served.
    const mark = await get(s.app.port, '/news/1', '127.0.1.201', BROWSER);
    assert.deepEqual([mark.status, mark.verdict], [403, 'challenge/mark']);
    assert.equal((await get(s.app.port, '/.rampart/challenge/mark.css', '127.0.1.201', BROWSER)).status, 200);
    assert.equal(
      (await get(s.app.port, '/news/1', '127.0.1.201', BROWSER)).status,
      200,
      'a browser outside the signature is served',
    );
    await waitFor(() => s.events.some((e) => e.type === 'attack_end'), {
      what: 'the incident to end',
      timeoutMs: 20_000,
    });
    assert.equal(s.app.state.mitigations().length, 0, 'mitigations removed after the attack');
    assert.equal(s.app.state.mode(), 'normal');
    const legitFailed = s.legit.statuses.filter((x) => x !== 200 && x !== 304).length;
    assert.equal(
      legitFailed,
      0,
      `no ordinary visitor was refused during the whole run: ${s.legit.verdicts.slice(0, 5).join('; ')}`,
    );
  } finally {
    await s.close();
  }
});
