// One incident per attack in cluster mode (this test process is the primary,
// two real workers, one data_dir): a flood spread over both workers by the
// shared listener is written as ONE incident row (the primary's one detector
// sees both workers; worker slot 1 writes the store), its headline counts
// the sum of both workers' traffic ≈ what the test sent; the webhook gets one
// attack_start alert (slot 1 alerts), under the stored id.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { openIncidentStore } from '../../src/control/incidents-store.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { allClosed, waitForRows } from '../helpers/incident-rows.js';
import { waitFor, waitForTicks } from '../helpers/wait.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';

const DETECTOR = { ...FAST_DETECTOR, ban_min_rps: 5 };
const dir = mkdtempSync(join(tmpdir(), 'rampart-cluster-incident-'));
let origin: EchoOrigin;
let c: ClusterHandle;
let port = 0;
let hook: Server;
const alerts: { phase: string; incidentId: string }[] = [];
const agents = new Map<string, Agent>();

before(async () => {
  origin = await startEchoOrigin();
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        alerts.push(JSON.parse(body) as { phase: string; incidentId: string });
      } catch {
        // not an alert
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const alertsCfg = {
    webhooks: [{ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` }],
    backoff: '100ms',
  };
  const cfg = {
    alerts: alertsCfg,
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    data_dir: dir,
    admin: { listen: '127.0.0.1:0', token: 'cluster-incident-token-0123456789' },
    workers: 2,
    detector: DETECTOR,
    limits: { max_connections_per_ip: 1000 },
    log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
  };
  c = await startCluster(loadConfigObject(cfg), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  for (const a of agents.values()) a.destroy();
  await c?.stop();
  await origin?.close();
  hook?.closeAllConnections();
  await new Promise((r) => hook?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** GET from `ip`; `fresh` opens a new connection (spread over the workers by the primary's round robin). */
function get(ip: string, path: string, fresh: boolean): Promise<number> {
  let agent = agents.get(ip);
  if (!agent)
    agents.set(
      ip,
      (agent = new Agent({ keepAlive: true, maxSockets: 2, localAddress: ip } as ConstructorParameters<
        typeof Agent
      >[0])),
    );
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: fresh ? new Agent({ localAddress: ip } as ConstructorParameters<typeof Agent>[0]) : agent,
        headers: {
          host: '127.0.0.1',
          connection: fresh ? 'close' : 'keep-alive',
          'user-agent': 'python-requests/2.31',
        },
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

test('cluster incident: one attack over two workers is one incident row with the workers’ summed counts', {
  timeout: 60_000,
}, async () => {
  let on = true;
  let legit = 0;
  const browse = (async () => {
    for (let i = 0; on; i++) {
      await get(`127.0.0.${10 + (i % 5)}`, `/page/${i % 7}`, true);
      legit++;
      await new Promise((r) => setTimeout(r, 60));
    }
  })();
  // The cluster's detector (in the primary) learns the baseline, and one more second of it.
  await waitFor(() => c.detector?.snapshot().warm, { what: 'the baseline to warm up', timeoutMs: 20_000 });
  await waitForTicks(c.detector!, 1);
  let sent = 0;
  const until = Date.now() + 6000;
  let n = 0;
  // 40 sources, two kept-alive connections each: the round robin spreads the connections over both workers.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (Date.now() < until) {
        const i = n++;
        await get(`127.21.0.${1 + (i % 40)}`, `/search?q=${i}`, false);
        sent++;
      }
    }),
  );
  const store = () => openIncidentStore(join(dir, 'incidents.sqlite'), { readonly: true });
  await waitForRows(dir, 'an incident was written and closed', allClosed, 25_000).catch((e) => {
    throw new Error(
      `${e.message}: ${JSON.stringify(c.detector?.snapshot().incident?.actions.map((a) => a.rule))} mode ${c.detector?.mode()} series ${JSON.stringify(c.detector?.snapshot().series.requests.slice(-30))} score ${JSON.stringify(c.detector?.snapshot().series.score.slice(-30))}`,
    );
  });
  on = false;
  await browse;
  // The last samples wait ~3 s for their global sums (GLOBAL_LAG_MS, src/control/incidents-global.ts),
  // settled on a tick: four ticks.
  await waitForTicks(c.detector!, 4);
  const s = store();
  try {
    const rows = s.list(10);
    assert.equal(rows.length, 1, `one row for the attack, got ${rows.map((r) => r.id).join(', ')}`);
    const rec = s.get(rows[0].id)!;
    assert.match(rec.id, /^inc-\d{8}T\d{6}z-\d+$/);
    assert.ok(rec.scope && rec.scope.globalSeconds > 0, 'global figures recorded');
    assert.ok(
      rec.totals.requests >= 0.6 * sent && rec.totals.requests <= 1.15 * (sent + legit),
      `global requests ${rec.totals.requests} vs sent ${sent} (+${legit} legit)`,
    );
    const starts = alerts.filter((a) => a.phase === 'attack_start');
    assert.equal(starts.length, 1, `one attack_start alert for the cluster, got ${JSON.stringify(starts)}`);
    assert.equal(starts[0].incidentId, rec.id, 'the alert names the stored incident');
    // The node's detector (in the primary) counted both workers: its own figures are about the whole, not one worker's half.
    assert.ok(
      rec.scope.local.requests >= 0.7 * rec.totals.requests,
      `the node's detector counted ${rec.scope.local.requests} of the whole ${rec.totals.requests}`,
    );
  } finally {
    s.close();
  }
});
