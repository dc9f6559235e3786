// Rate limits across nodes on one real redis-server: node A is a cluster (this
// process is its primary, two workers), node B a single process. Each sends
// its rate-limit usage to the others once a tick (workers → their primary →
// Redis → the other primary → its workers; src/exchange/node-bus.ts), so one client
// spreading fresh connections over A's two workers and B gets about one bucket,
// not the three that unshared tables allow.
import { after, before, test } from 'node:test';
import { checkOneBucket, hammer } from '../helpers/hammer.js';
import { redisSkipReason } from '../helpers/redis-server.js';
import { sendRaw } from '../helpers/raw.js';
import { startClusterAndShield } from '../helpers/redis-nodes.js';

const skip = redisSkipReason();
const RATE = 20;
const BURST = 20;
const CLIENT = '127.0.0.11';
let nodes: Awaited<ReturnType<typeof startClusterAndShield>>;

before(async () => {
  if (skip) return;
  nodes = await startClusterAndShield({
    admin: { listen: '127.0.0.1:0', token: 'multi-node-limits-token-0123456789' },
    detector: { enabled: false },
    limits: { max_connections_per_ip: 1000 },
    policy: { rate_limits: { default: { address: { rate: `${RATE}/s`, burst: BURST }, prefix: 'off' } } },
  });
});

after(async () => {
  await nodes?.stop();
});

/** Two of three requests to node A (its primary alternates its workers), one to node B; each on a fresh connection. */
async function get(n: number): Promise<number> {
  const port = n % 3 === 2 ? nodes.b.port : nodes.aPort;
  return (
    await sendRaw(port, `GET /news/${n} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, {
      localAddress: CLIENT,
      quietMs: 2000,
    })
  ).status;
}

if (skip) test('multi-node limits', (t) => t.skip(skip));
else {
  test('multi-node limits: a client spread over two nodes (one of them a cluster) gets about one bucket, not one per worker and node', {
    timeout: 60_000,
  }, async (t) => {
    const r = await hammer(get);
    t.diagnostic(r.detail);
    // Three tables hold the client (A's two workers, B); usage crosses Redis about a tick late.
    checkOneBucket(r, { rate: RATE, burst: BURST, parties: 3, lagS: 1.5, what: 'per-worker and per-node tables' });
  });
}
