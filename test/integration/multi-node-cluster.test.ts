// The whole chain on one real redis-server: node A runs as a cluster (this
// process is its primary, two worker processes), node B as a single process.
// A ban made through B's admin API refuses in A's workers (Redis → A's
// primary → IPC → workers); counts from A's workers and from B add up in both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import type { ClusterHandle } from '../../src/app/cluster.js';
import { waitFor } from '../helpers/wait.js';
import { redisSkipReason } from '../helpers/redis-server.js';
import { sendRaw } from '../helpers/raw.js';
import { startClusterAndShield, type Shield } from '../helpers/redis-nodes.js';

const skip = redisSkipReason();
const TOKEN = 'multi-node-cluster-token-0123456789abcdef';
let nodes: Awaited<ReturnType<typeof startClusterAndShield>>;
let a: ClusterHandle;
let aPort = 0;
let b: Shield;

before(async () => {
  if (skip) return;
  nodes = await startClusterAndShield({ admin: { listen: '127.0.0.1:0', token: TOKEN } });
  ({ a, aPort, b } = nodes);
});

after(async () => {
  await nodes?.stop();
});

const get = (port: number, from = '127.0.0.1') =>
  sendRaw(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
    localAddress: from,
    quietMs: 2000,
  });

if (skip) test('multi-node cluster', (t) => t.skip(skip));
else {
  test('multi-node cluster: a ban made on node B refuses in every worker of node A', async () => {
    assert.equal((await get(aPort, '127.0.0.5')).status, 200);
    const r = await request(`${b.control.url()}/api/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: '127.0.0.5', duration: '5m' }),
    });
    assert.equal(r.statusCode, 201);
    await r.body.dump();
    await waitFor(() => a.state.isBanned('127.0.0.5', Date.now()) !== null, {
      what: 'node A’s primary has the ban',
      timeoutMs: 2000,
    });
    await waitFor(async () => (await get(aPort, '127.0.0.5')).status !== 200, {
      what: 'node A refuses it',
      timeoutMs: 2000,
    });
    let refused = 0;
    for (let i = 0; i < 8; i++) if ((await get(aPort, '127.0.0.5')).status !== 200) refused++;
    assert.equal(refused, 8, 'whichever worker takes the connection');
    assert.equal((await get(aPort)).status, 200);
  });

  test('multi-node cluster: counts of A’s workers and of B add up on both nodes', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    for (let i = 0; i < 12; i++) {
      await get(aPort);
      await get(b.port);
    }
    const total = (counts: (s: number) => Record<string, number> | null) => {
      let n = 0;
      for (let s = since; s <= Math.floor(Date.now() / 1000); s++) n += counts(s)?.requests ?? 0;
      return n;
    };
    await waitFor(() => total((s) => a.state.globalCounts(s)) >= 24, {
      what: 'A’s primary sees all 24',
      timeoutMs: 10_000,
    });
    await waitFor(() => total((s) => b.state.globalCounts(s)) >= 24, { what: 'B sees all 24', timeoutMs: 10_000 });
  });
}
