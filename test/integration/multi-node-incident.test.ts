// One attack, two Rampart nodes, one real redis-server: a flood from many
// loopback sources whose halves hit different nodes is recorded on each node
// under ONE incident id (the shared slot in Redis), with headline counts from
// the global per-second sums ≈ what both halves sent, each node's detector
// figures (its half plus the other node's seconds) kept beside them, while
// each node refuses part of its half.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openIncidentStore } from '../../src/control/incidents-store.js';
import type { IncidentRecord } from '../../src/control/incidents-types.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { redisSkipReason, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startShield } from '../helpers/shield.js';
import { waitFor, waitForTicks } from '../helpers/wait.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';

type Node = Awaited<ReturnType<typeof startShield>>;
const skip = redisSkipReason();
const DETECTOR = { ...FAST_DETECTOR, ban_min_rps: 5 };
const dirs: string[] = [];
let redis: RedisServer;
let origin: EchoOrigin;
const nodes: Node[] = [];
const agents = new Map<string, Agent>();

before(async () => {
  if (skip) return;
  redis = await startRedis();
  origin = await startEchoOrigin();
  const state = {
    backend: 'redis',
    redis: { url: redis.url, key_prefix: `mni-${randomUUID()}`, sync_interval: '200ms', command_timeout: '500ms' },
  };
  for (let i = 0; i < 2; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-mni-'));
    dirs.push(dir);
    nodes.push(
      await startShield(origin.url, {
        data_dir: dir,
        state,
        detector: DETECTOR,
        limits: { max_connections_per_ip: 1000 },
      }),
    );
  }
});

after(async () => {
  for (const a of agents.values()) a.destroy();
  for (const n of nodes) await n.stop();
  await origin?.close();
  await redis?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** One GET from `ip` (kept-alive connection per node and source); resolves with the status, 0 on a socket error. */
function get(node: Node, ip: string, path: string): Promise<number> {
  const key = `${node.port}|${ip}`;
  let agent = agents.get(key);
  if (!agent)
    agents.set(
      key,
      (agent = new Agent({ keepAlive: true, maxSockets: 2, localAddress: ip } as ConstructorParameters<
        typeof Agent
      >[0])),
    );
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: node.port,
        path,
        agent,
        headers: { host: '127.0.0.1', 'user-agent': 'python-requests/2.31' },
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

/** A few visitors per node until stopped (the baseline). */
function browse(): { stop(): Promise<number> } {
  let on = true;
  let sent = 0;
  const loop = (async () => {
    for (let i = 0; on; i++) {
      await Promise.all(
        nodes.map((n, k) => get(n, `127.0.0.${10 + ((i + k) % 5)}`, `/page/${i % 7}`).then(() => sent++)),
      );
      await new Promise((r) => setTimeout(r, 150));
    }
  })();
  const stop = async () => {
    on = false;
    await loop;
    return sent;
  };
  return { stop };
}

/** Floods node `k` from 40 sources 127.20.k.j for `ms`, `concurrency` at a time; returns sent and refused. */
async function flood(k: number, ms: number, concurrency: number): Promise<{ sent: number; refused: number }> {
  const until = Date.now() + ms;
  let sent = 0;
  let refused = 0;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const n = i++;
        const status = await get(nodes[k], `127.20.${k}.${1 + (n % 40)}`, `/search?q=${n}`);
        sent++;
        if (status !== 200) refused++;
      }
    }),
  );
  return { sent, refused };
}

if (skip) test('multi-node incident', (t) => t.skip(skip));
else {
  test('multi-node incident: halves of one attack on two nodes are one incident id with global counts', {
    timeout: 60_000,
  }, async () => {
    const legit = browse();
    await waitFor(() => nodes.every((n) => n.detector!.snapshot().warm), {
      what: 'both detectors learned a baseline',
      timeoutMs: 20_000,
    });
    await waitForTicks(nodes[0].detector!, 1, 'one warm second of the baseline');
    const [a, b] = await Promise.all([flood(0, 6000, 8), flood(1, 6000, 8)]);
    await waitFor(() => nodes.every((n) => n.evidence!.store.list(5).length > 0), {
      what: 'both nodes opened an incident',
      timeoutMs: 10_000,
    });
    await waitFor(() => nodes.every((n) => n.evidence!.active() === null), {
      what: 'both incidents closed',
      timeoutMs: 20_000,
    });
    const legitSent = await legit.stop();
    // The last samples wait ~3 s for their global sums (GLOBAL_LAG_MS, src/control/incidents-global.ts),
    // settled on a tick: four ticks of each node.
    await Promise.all(nodes.map((n) => waitForTicks(n.detector!, 4)));
    const records = nodes.map((n) => n.evidence!.store.list(5).map((row) => n.evidence!.store.get(row.id)!));
    for (const [k, rs] of records.entries())
      assert.equal(rs.length, 1, `node ${k} recorded one incident: ${rs.map((r) => r.id).join(', ')}`);
    const [ra, rb] = records.map((rs) => rs[0]) as [IncidentRecord, IncidentRecord];
    assert.equal(ra.id, rb.id, 'one incident id across both nodes');
    assert.match(ra.id, /^inc-\d{8}T\d{6}z-\d+$/);
    const sent = a.sent + b.sent;
    assert.ok(a.sent > 100 && b.sent > 100, `each half was an attack (A ${a.sent}, B ${b.sent})`);
    for (const [k, r] of [ra, rb].entries()) {
      const sc = r.scope!;
      assert.ok(sc && sc.globalSeconds > 0, `node ${k} has global figures`);
      // The incident window misses the ramp (the first anomalous second) and includes legit traffic.
      assert.ok(
        r.totals.requests >= 0.6 * sent && r.totals.requests <= 1.15 * (sent + legitSent),
        `node ${k}: global requests ${r.totals.requests} vs sent ${sent} (+ ${legitSent} legit)`,
      );
      // Each node's detector folds in the other node's seconds (node parts): its own figures cover both halves.
      assert.ok(
        sc.local.requests >= 0.7 * r.totals.requests,
        `node ${k}: its detector saw ${sc.local.requests} of the global ${r.totals.requests}`,
      );
      assert.ok(r.totals.refused > 0 && r.totals.refused <= r.totals.requests);
      assert.ok(r.notes.some((x) => /summed over every node/.test(x)));
    }
    assert.ok(a.refused > 0, `node A mitigated its half (${a.refused}/${a.sent} refused)`);
    assert.ok(b.refused > 0, `node B mitigated its half (${b.refused}/${b.sent} refused)`);
    assert.ok(ra.mitigations.length > 0 && rb.mitigations.length > 0, 'each node recorded its own mitigations');
    // The figures survive in SQLite (read-only, as `rampart report` reads them).
    const ro = openIncidentStore(nodes[1].evidence!.store.file, { readonly: true });
    try {
      assert.equal(ro.get(ra.id)?.totals.requests, rb.totals.requests);
      const samples = ro.samples(ra.id);
      assert.ok(
        samples.length > 0 && samples.every((s) => typeof s.localRequests === 'number'),
        'samples keep the node’s detector figures beside the global ones',
      );
    } finally {
      ro.close();
    }
  });
}
