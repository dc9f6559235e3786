// Two Rampart nodes on one real redis-server in front of one echo origin, for
// the multi-node tests: two single-process shields, or a 2-worker cluster
// (this process is its primary) beside a single-process shield. Each set
// gets its own key prefix; stop() tears everything down.
import { randomUUID } from 'node:crypto';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { startEchoOrigin, type EchoOrigin } from './echo-origin.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { startShield } from './shield.js';
import { tempDataDir } from './temp-data-dir.js';

export type Shield = Awaited<ReturnType<typeof startShield>>;

interface Rig {
  redis: RedisServer;
  origin: EchoOrigin;
  /** The `state:` block every node of the set shares. */
  state: Record<string, unknown>;
}

async function rig(): Promise<Rig> {
  const redis = await startRedis();
  const origin = await startEchoOrigin();
  return {
    redis,
    origin,
    state: { backend: 'redis', redis: { url: redis.url, key_prefix: `mn-${randomUUID()}`, sync_interval: '200ms' } },
  };
}

/** Two single-process nodes with the same `overrides` (YAML form). */
export async function startTwoShields(
  overrides: Record<string, unknown> = {},
): Promise<Rig & { a: Shield; b: Shield; stop(): Promise<void> }> {
  const r = await rig();
  const a = await startShield(r.origin.url, { state: r.state, ...overrides });
  const b = await startShield(r.origin.url, { state: r.state, ...overrides });
  return {
    ...r,
    a,
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
      await r.origin.close();
      await r.redis.stop();
    },
  };
}

/** Node A: a 2-worker cluster; node B: a single process; both with `overrides` (YAML form; `admin` included). */
export async function startClusterAndShield(
  overrides: Record<string, unknown> = {},
): Promise<Rig & { a: ClusterHandle; aPort: number; b: Shield; stop(): Promise<void> }> {
  const r = await rig();
  const level = process.env.RAMPART_TEST_LOG ?? 'silent';
  const a = await startCluster(
    loadConfigObject({
      listen: '127.0.0.1:0',
      origin: r.origin.url,
      hosts: ['127.0.0.1'],
      admin: { listen: '127.0.0.1:0' },
      workers: 2,
      data_dir: tempDataDir(),
      log: { level },
      state: r.state,
      ...overrides,
    }),
    { log: createLogger('silent') },
  );
  const b = await startShield(r.origin.url, { state: r.state, ...overrides });
  return {
    ...r,
    a,
    aPort: Number(new URL(a.url).port),
    b,
    stop: async () => {
      await a.stop();
      await b.stop();
      await r.origin.close();
      await r.redis.stop();
    },
  };
}
