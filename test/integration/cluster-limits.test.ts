// Rate limits hold across cluster workers (this test process is the primary,
// two real workers): one client address opening a fresh connection per
// request reaches both workers (the primary's round robin), and is allowed
// about what ONE bucket allows over the window — rate·T + burst, plus for the
// other worker its burst once and one second of its usage (exchange/limits-peers.ts)
// — clearly below the 2 × (rate·T + burst) that per-worker tables would allow.
// The same holds for the per-client buckets of a detector `limit` mitigation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { checkOneBucket, hammer } from '../helpers/hammer.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

const RATE = 20;
const BURST = 20;
const WORKERS = 2;
const CLIENT = '127.0.0.7';
let origin: EchoOrigin;
let c: ClusterHandle;
let port = 0;

before(async () => {
  origin = await startEchoOrigin();
  const cfg = {
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    admin: { listen: '127.0.0.1:0', token: 'cluster-limits-token-0123456789abc' },
    workers: WORKERS,
    data_dir: tempDataDir(),
    detector: { enabled: false },
    limits: { max_connections_per_ip: 1000 },
    policy: { rate_limits: { default: { address: { rate: `${RATE}/s`, burst: BURST }, prefix: 'off' } } },
    log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
  };
  c = await startCluster(loadConfigObject(cfg), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  await c?.stop();
  await origin?.close();
});

/** One GET on a new connection from `ip` (connection: close), so the primary hands each to the next worker. */
function get(ip: string, path: string, verdicts: Map<string, number> | null = null): Promise<number> {
  return new Promise((resolve) => {
    const agent = new Agent({ localAddress: ip } as ConstructorParameters<typeof Agent>[0]);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { host: '127.0.0.1', connection: 'close', 'user-agent': 'cluster-limits-test' },
      },
      (res) => {
        const rule = String(res.headers['rampart-verdict'] ?? 'none');
        verdicts?.set(rule, (verdicts.get(rule) ?? 0) + 1);
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('cluster limits: a client spread over two workers gets about one bucket, not one per worker', {
  timeout: 60_000,
}, async (t) => {
  const r = await hammer((n) => get(CLIENT, `/news/${n}`));
  t.diagnostic(r.detail);
  checkOneBucket(r, { rate: RATE, burst: BURST, parties: WORKERS, lagS: 1, what: 'per-worker tables' });
});

test('cluster limits: a detector limit mitigation holds across the two workers too', { timeout: 60_000 }, async (t) => {
  // Below the address limit (RATE), so the mitigation is what binds; burst 1 s of it (policy/mitigations.ts).
  const M_RATE = 8;
  const M_BURST = Math.ceil(M_RATE);
  const client = '127.0.0.9'; // not the first test's client: its address buckets are untouched
  const now = Date.now();
  c.state.putMitigation({
    id: 'cluster-surge',
    action: 'limit',
    rule: 'mitigate/limit-surge',
    match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: ['/surge/'], unverifiedOnly: false },
    rate: M_RATE,
    createdAt: now,
    until: now + 120_000,
    reason: 'cluster-limits test',
    figures: {},
  });
  // The primary relays the write to both workers over IPC before any request of ours gets there; a late one would only allow more.
  await new Promise((r) => setTimeout(r, 100));
  const verdicts = new Map<string, number>();
  const r = await hammer((n) => get(client, `/surge/${n}`, verdicts));
  t.diagnostic(`${r.detail} ${JSON.stringify(Object.fromEntries(verdicts))}`);
  assert.equal(verdicts.get('mitigate/limit-surge'), r.limited, `every refusal is the mitigation's: ${r.detail}`);
  checkOneBucket(r, { rate: M_RATE, burst: M_BURST, parties: WORKERS, lagS: 1, what: 'per-worker buckets' });
});
