// One detector for the whole cluster: a source that spreads its requests over
// two workers at a rate each worker alone would not call a flood (under
// ban_min_rps per worker) is seen by the primary's detector with its whole
// rate, banned once, and refused by every worker; every worker's status shows
// the primary's incident and mode.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { freePort } from './cli-child.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

// 20 requests/s from one address: ~10 per worker, under ban_min_rps 14; the sum is over it.
const RATE = 20;
const DETECTOR = { min_rps: 10, ban_min_rps: 14, end_after: '2s', recover_hold: '2s', ban_duration: '30s' };
const TOKEN = 'cluster-detector-token-0123456789';
const ATTACKER = '127.0.0.77';
// These tests need connections spread over both workers: round robin spreads them evenly, the shared
// sockets Rampart uses by default (src/app/cluster-config.ts shareAccept) leave it to the kernel.
process.env.NODE_CLUSTER_SCHED_POLICY = 'rr';
let origin: EchoOrigin;
let c: ClusterHandle;
let port = 0;
let admin = '';

before(async () => {
  origin = await startEchoOrigin();
  const adminPort = await freePort();
  admin = `http://127.0.0.1:${adminPort}`;
  const cfg = {
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    admin: { listen: `127.0.0.1:${adminPort}`, token: TOKEN },
    workers: 2,
    data_dir: tempDataDir(),
    detector: DETECTOR,
    limits: { max_connections_per_ip: 1000 },
    evidence: { enabled: false },
    log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
  };
  c = await startCluster(loadConfigObject(cfg), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  await c?.stop();
  await origin?.close();
});

/** One GET over a fresh connection from `ip` (the primary's round robin alternates fresh connections over the workers). */
function get(ip: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: new Agent({ localAddress: ip } as ConstructorParameters<typeof Agent>[0]),
        headers: { host: '127.0.0.1', connection: 'close', 'user-agent': 'curl/8.5.0' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('cluster detector: a source split over two workers under the per-worker ban threshold is banned by the one detector', {
  timeout: 60_000,
}, async () => {
  const before = c.detectorParts().bySlot;
  let sent = 0;
  const pending: Promise<number>[] = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !c.state.isBanned(ATTACKER, Date.now())) {
    pending.push(get(ATTACKER, `/item/${sent++}`));
    await new Promise((r) => setTimeout(r, 1000 / RATE));
  }
  await Promise.all(pending);
  const ban = c.state.isBanned(ATTACKER, Date.now());
  assert.ok(ban, `the attacker was banned (sent ${sent} at ~${RATE}/s)`);
  assert.equal(ban.rule, 'ban/auto-flood');
  // The traffic really was split: each worker folded in a good share of the attacker's requests.
  const by = c.detectorParts().bySlot;
  const share = (slot: string) => (by[slot]?.requests ?? 0) - (before[slot]?.requests ?? 0);
  // (Requests after the ban are refused at accept and never reach a detector: compare the shares with their sum.)
  // The kernel splits ~20 connections between the workers about evenly, not exactly: a fifth each at
  // least (a 30 % bound failed once in a fresh-clone CI run, 13 / 5).
  const [s1, s2] = [share('1'), share('2')];
  const shares = `per-worker shares ${s1} / ${s2} of ${sent} sent`;
  assert.ok(s1 >= 0.2 * (s1 + s2), shares);
  assert.ok(s2 >= 0.2 * (s1 + s2), shares);
  assert.ok(s1 + s2 >= DETECTOR.ban_min_rps, shares);
  // The detector's figures are the sum: the ban's reason quotes a rate above what one worker saw (ban_min_rps).
  assert.ok(Number(ban.reason.match(/(\d+) requests\/s/)?.[1] ?? 0) >= DETECTOR.ban_min_rps, ban.reason);
  // Every worker refuses the banned address (several fresh connections: both workers answer).
  const after = await Promise.all(Array.from({ length: 6 }, (_, i) => get(ATTACKER, `/after/${i}`)));
  assert.ok(
    after.every((s) => s !== 200),
    `refused everywhere after the ban: ${after.join(',')}`,
  );
  // Every worker's status shows the primary's detector: its incident, from either worker.
  await waitFor(
    async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const r = await fetch(`${admin}/api/status`, {
          headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' },
        });
        const j = (await r.json()) as { worker?: { index: number }; detector?: { incident?: { id: string } | null } };
        if (j.detector?.incident?.id) seen.add(j.worker?.index ?? 0);
      }
      return seen.size === 2;
    },
    { what: 'both workers report the incident', timeoutMs: 10_000 },
  );
});
