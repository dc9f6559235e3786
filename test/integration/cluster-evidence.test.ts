// Cluster evidence counts every worker's traffic (this test process is the
// primary, two real workers, one data_dir): a flood over fresh connections
// (spread over both workers) from addresses placed in DE and BR (X-Forwarded-
// For from a trusted loopback hop) and a record scan on a sensitive route
// during it are written by worker slot 1 with the other worker's evidence
// parts merged in: attribution ≈ what was sent in the incident window (not the
// recorder's ~half), sources counted once, the scan's distinct IDs from both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { openIncidentStore } from '../../src/control/incidents-store.js';
import { parseCountryPlan } from '../../src/drill/addresses-geo.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { allClosed, waitForRows } from '../helpers/incident-rows.js';
import { waitFor, waitForTicks } from '../helpers/wait.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';

const DETECTOR = FAST_DETECTOR;
const ENUMERATION_IDS = 100;
const dir = mkdtempSync(join(tmpdir(), 'rampart-cluster-evidence-'));
let origin: EchoOrigin;
let c: ClusterHandle;
let port = 0;

before(async () => {
  origin = await startEchoOrigin();
  const cfg = {
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    data_dir: dir,
    trusted_proxies: ['127.0.0.0/8'],
    admin: { listen: '127.0.0.1:0', token: 'cluster-evidence-token-0123456789' },
    workers: 2,
    detector: DETECTOR,
    policy: { routes: [{ class: 'sensitive', prefix: '/api/donors/' }] },
    evidence: { enumeration_ids: ENUMERATION_IDS },
    limits: { max_connections_per_ip: 1000 },
    log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
  };
  c = await startCluster(loadConfigObject(cfg), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  await c?.stop();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Completion times of every request sent (ms), to count what was sent inside the incident's window. */
const sentAt: number[] = [];

/** GET over a fresh connection (connection: close: the primary's round robin spreads them over both workers). */
function get(local: string, path: string, xff: string | null): Promise<number> {
  const headers: Record<string, string> = {
    host: '127.0.0.1',
    connection: 'close',
    'user-agent': 'python-requests/2.31',
  };
  if (xff) headers['x-forwarded-for'] = xff;
  return new Promise((resolve) => {
    const done = (code: number) => {
      sentAt.push(Date.now());
      resolve(code);
    };
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: new Agent({ localAddress: local } as ConstructorParameters<typeof Agent>[0]),
        headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
        res.on('error', () => done(0));
      },
    );
    req.on('error', () => resolve(0)); // never reached the shield: not counted as sent
    req.end();
  });
}

const store = () => openIncidentStore(join(dir, 'incidents.sqlite'), { readonly: true });

test('cluster evidence: attribution, sources and a record scan count both workers’ traffic', {
  timeout: 90_000,
}, async () => {
  const plan = parseCountryPlan('DE:50,BR:50');
  const sources = 60;
  let on = true;
  const browse = (async () => {
    for (let i = 0; on; i++) {
      await get(`127.0.0.${10 + (i % 5)}`, `/page/${i % 7}`, null);
      await new Promise((r) => setTimeout(r, 60));
    }
  })();
  // The primary's detector (fed by both workers) learns the baseline, and one more second of it.
  await waitFor(() => c.detector?.snapshot().warm, { what: 'the baseline to warm up', timeoutMs: 20_000 });
  await waitForTicks(c.detector!, 1);
  let flooding = true;
  let n = 0;
  const flood = Promise.all(
    Array.from({ length: 8 }, async (_, k) => {
      while (flooding) {
        const i = n++;
        await get(`127.22.0.${1 + k}`, `/news/${i % 20}`, plan.addressOf(1_000_000 + (i % sources)));
      }
    }),
  );
  await waitForRows(
    dir,
    'the incident is open in the store',
    (rows) => rows.some((r) => r.status === 'open'),
    20_000,
    5,
  );
  await waitForTicks(c.detector!, 2); // the other worker has the primary's attack_start too and sends its parts
  // A sequential scan of records, each over a fresh connection: each worker sees about half of the IDs.
  const ids = 160;
  for (let id = 1; id <= ids; id++) await get('127.23.0.1', `/api/donors/${id}`, '203.0.113.7');
  await waitForTicks(c.detector!, 2); // the scan's last seconds reach the primary in the workers' parts
  flooding = false;
  await flood;
  await waitForRows(dir, 'the incident was closed', allClosed, 25_000, 5);
  on = false;
  await browse;
  // Late parts are merged within seconds of the end (LATE_MS), and the last samples wait ~3 s for their
  // global sums (GLOBAL_LAG_MS, src/control/incidents-global.ts), settled on a tick: four ticks.
  await waitForTicks(c.detector!, 4);
  const s = store();
  try {
    const rows = s.list(5);
    assert.equal(rows.length, 1, `one incident, got ${rows.map((r) => r.id).join(', ')}`);
    const rec = s.get(rows[0].id)!;
    const a = rec.attribution!;
    const inWindow = sentAt.filter((t) => t >= rec.startedAt && t <= rec.endedAt!).length;
    const detail = JSON.stringify({
      attribution: {
        requests: a.requests,
        sources: a.sources,
        countries: a.countries,
        unknownCountry: a.unknownCountry,
      },
      inWindow,
      local: rec.scope?.local,
      totals: rec.totals,
    });
    // Each worker's epoch begins at its own incident start (≤ ~1 s after the record's startedAt): a second of margin.
    // The recording worker alone sees about half (the round robin deals the connections out evenly): 0.7 tells them apart.
    assert.ok(
      a.requests >= 0.7 * inWindow && a.requests <= 1.1 * inWindow,
      `attribution requests ${a.requests} vs ${inWindow} sent in the window: ${detail}`,
    );
    // 60 flood sources, the scanner and 5 browsers: the union of both workers' sketches counts each once (a sum would be ~2×).
    assert.ok(a.sources >= sources && a.sources <= 1.15 * (sources + 6), `distinct sources ${a.sources}: ${detail}`);
    const de = a.countries.find((x) => x.key === 'DE');
    const br = a.countries.find((x) => x.key === 'BR');
    assert.ok(de && br, detail);
    const flooded = de.requests + br.requests;
    assert.ok(
      Math.abs(de.requests / flooded - 0.5) <= 0.05,
      `DE share ${(de.requests / flooded).toFixed(3)}: ${detail}`,
    );
    assert.ok(
      a.unknownCountry.requests > 0,
      'the browsers (loopback) and the documentation-range scanner have no country',
    );
    assert.ok(
      rec.impact.during.others.requests >= 0.7 * inWindow,
      `impact counts both workers: ${JSON.stringify(rec.impact.during)} vs ${inWindow}`,
    );
    assert.ok(
      rec.notes.some((x) => x.includes('merge every cluster worker')),
      JSON.stringify(rec.notes),
    );

    const x = rec.exposure!;
    const scanner = x.clients.find((r) => r.who === '203.0.113.7');
    assert.ok(scanner, JSON.stringify(x.clients.slice(0, 3)));
    assert.ok(scanner.requests >= 0.95 * ids && scanner.requests <= ids, `scan requests ${scanner.requests} of ${ids}`);
    assert.ok(
      scanner.distinctIds >= 0.85 * ids && scanner.distinctIds <= 1.15 * ids,
      `distinct ids ${scanner.distinctIds} of ${ids} (one worker alone saw ~${ids / 2})`,
    );
    assert.ok(
      scanner.flags.includes('enumeration'),
      `≥ ${ENUMERATION_IDS} ids only when both workers' are merged: ${JSON.stringify(scanner)}`,
    );
  } finally {
    s.close();
  }
});
