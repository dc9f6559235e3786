// One cache per machine: with two workers, a page stored through one worker
// is served by every worker, fresh (cache/hit) and past freshness with the
// origin stopped (cache/stale), and the stored bytes are the machine's, not
// each worker's. Each request opens its own connection, which node:cluster
// hands to the workers in turn; /metrics (every worker's samples, labelled
// worker) shows both answered from the one store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { sendRaw } from '../helpers/raw.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

let origin: Server;
const sockets = new Set<Socket>();
let originHits = 0;
let c: ClusterHandle;
let port = 0;
let admin = 0;

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

before(async () => {
  origin = createServer((req, res) => {
    originHits++;
    // /fresh stays fresh for a minute; /stale is stale at once (max-age=0) but may be served when the origin fails.
    const cc = req.url === '/fresh' ? 'public, max-age=60' : 'public, max-age=0';
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': cc });
    res.end(`<p>page ${req.url} from the origin</p>`);
  });
  origin.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const config = {
    listen: '127.0.0.1:0',
    origin: originUrl,
    hosts: ['127.0.0.1'],
    admin: { listen: `127.0.0.1:${(admin = await freePort())}` },
    workers: 2,
    data_dir: tempDataDir(),
    log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
  };
  c = await startCluster(loadConfigObject(config), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  await c?.stop();
  if (origin.listening) await new Promise((r) => origin.close(r));
});

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

/** Samples of one metric family by worker slot, from the cluster's /metrics. */
async function byWorker(adminPort: number, name: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}\\{[^}]*worker="(\\d+)"[^}]*\\} (\\S+)$`).exec(line);
    if (m) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  }
  return out;
}

test('cluster cache: a page stored through one worker is served by both, fresh and then stale with the origin stopped', async () => {
  for (const path of ['/fresh', '/stale']) {
    const r = await sendRaw(port, GET(path), { quietMs: 2000 });
    assert.equal(r.status, 200, `${path} fetched through the shield once`);
  }
  assert.equal(originHits, 2);
  // The origin goes away: its listener and every kept-alive connection to it.
  await new Promise<void>((r) => {
    origin.close(() => r());
    for (const s of sockets) s.destroy();
  });
  const verdicts: string[] = [];
  // Connections go to the workers in turn: the order alternates so that each page meets both workers.
  for (let i = 0; i < 8; i++) {
    for (const path of i % 2 === 0 ? ['/fresh', '/stale'] : ['/stale', '/fresh']) {
      const r = await sendRaw(port, GET(path), { quietMs: 2000 });
      assert.equal(r.status, 200, `${path} answered from the store (request ${i}): ${r.text.slice(0, 200)}`);
      assert.match(r.text, new RegExp(`page ${path} from the origin`));
      verdicts.push(`${path} ${/rampart-verdict: (\S+)/i.exec(r.text)?.[1]}`);
    }
  }
  assert.equal(originHits, 2, 'nothing more reached the origin');
  assert.ok(
    verdicts.filter((v) => v.startsWith('/fresh')).every((v) => v === '/fresh cache/hit'),
    verdicts.join(', '),
  );
  assert.ok(
    verdicts.filter((v) => v.startsWith('/stale')).every((v) => v === '/stale cache/stale'),
    verdicts.join(', '),
  );
  // Both workers answered from the one store.
  const hits = await byWorker(admin, 'rampart_cache_hits_total');
  const stale = await byWorker(admin, 'rampart_cache_stale_served_total');
  assert.ok(hits['1'] > 0 && hits['2'] > 0, `both workers hit: ${JSON.stringify(hits)}`);
  assert.ok(stale['1'] > 0 && stale['2'] > 0, `both workers served stale: ${JSON.stringify(stale)}`);
  // One set of stored bytes for the machine: every worker reports the same two entries.
  const entries = await byWorker(admin, 'rampart_cache_entries');
  assert.deepEqual(entries, { '1': 2, '2': 2 });
});
