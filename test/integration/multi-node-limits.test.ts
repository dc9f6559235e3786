// Rate limits across nodes on one real redis-server: node A is a cluster (this
// process is its primary, two workers), node B a single process. Each sends
// its rate-limit usage to the others once a tick (workers → their primary →
// Redis → the other primary → its workers; src/app/node-bus.ts), so one client
// spreading fresh connections over A's two workers and B gets about one bucket,
// not the three that unshared tables allow.
import { after, before, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { checkOneBucket, hammer } from '../helpers/hammer.js';
import { redisSkipReason, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { sendRaw } from '../helpers/raw.js';
import { startShield } from '../helpers/shield.js';

const skip = redisSkipReason();
const RATE = 20;
const BURST = 20;
const CLIENT = '127.0.0.11';
let redis: RedisServer;
let origin: EchoOrigin;
let a: ClusterHandle;
let aPort = 0;
let b: Awaited<ReturnType<typeof startShield>>;

before(async () => {
  if (skip) return;
  redis = await startRedis();
  origin = await startEchoOrigin();
  const common = {
    state: { backend: 'redis', redis: { url: redis.url, key_prefix: `mnl-${randomUUID()}`, sync_interval: '200ms' } },
    detector: { enabled: false },
    limits: { max_connections_per_ip: 1000 },
    policy: { rate_limits: { default: { address: { rate: `${RATE}/s`, burst: BURST }, prefix: 'off' } } },
  };
  const level = process.env.RAMPART_TEST_LOG ?? 'silent';
  a = await startCluster(loadConfigObject({ listen: '127.0.0.1:0', origin: origin.url, hosts: ['127.0.0.1'], admin: { listen: '127.0.0.1:0', token: 'multi-node-limits-token-0123456789' }, workers: 2, log: { level }, ...common }), { log: createLogger('silent') });
  aPort = Number(new URL(a.url).port);
  b = await startShield(origin.url, common);
});

after(async () => {
  await a?.stop();
  await b?.stop();
  await origin?.close();
  await redis?.stop();
});

/** Two of three requests to node A (its primary alternates its workers), one to node B; each on a fresh connection. */
async function get(n: number): Promise<number> {
  const port = n % 3 === 2 ? b.port : aPort;
  return (await sendRaw(port, `GET /news/${n} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { localAddress: CLIENT, quietMs: 2000 })).status;
}

if (skip) test('multi-node limits', (t) => t.skip(skip));
else {
  test('multi-node limits: a client spread over two nodes (one of them a cluster) gets about one bucket, not one per worker and node', { timeout: 60_000 }, async (t) => {
    const r = await hammer(get);
    t.diagnostic(r.detail);
    // Three tables hold the client (A's two workers, B); usage crosses Redis about a tick late.
    checkOneBucket(r, { rate: RATE, burst: BURST, parties: 3, lagS: 1.5, what: 'per-worker and per-node tables' });
  });
}
