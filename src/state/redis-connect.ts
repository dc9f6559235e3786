// Opens the ioredis connections of the redis backend: one for commands, one
// for pub/sub. Standalone (redis:// or rediss:// URL), Sentinel or Cluster by
// ioredis' own support. Commands fail fast while disconnected (no offline
// queue, short timeout): the node keeps defending on its local view instead.
import { createRequire } from 'node:module';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

// ioredis is loaded when a redis backend opens, not by every process that imports the state module.
const require = createRequire(import.meta.url);
const ioredis = (): typeof import('ioredis') => require('ioredis') as typeof import('ioredis');

export interface HostPortAddr {
  host: string;
  port: number;
}

export interface RedisConnectOptions {
  url: string;
  /** Sentinel addresses; with `sentinelName`, the master is found through them. */
  sentinels?: readonly HostPortAddr[];
  sentinelName?: string;
  /** Seed nodes of a Redis Cluster. */
  cluster?: readonly HostPortAddr[];
  commandTimeout: number;
  connectTimeout: number;
}

export type RedisClient = Redis | Cluster;

/** Backoff between reconnect attempts: 100 ms doubling to 2 s, forever. */
const retry = (n: number): number => Math.min(100 * 2 ** Math.min(n, 5), 2000);

function baseOptions(o: RedisConnectOptions, subscriber: boolean): RedisOptions {
  return {
    // The subscriber may queue its SUBSCRIBE until connected; commands may not.
    enableOfflineQueue: subscriber,
    commandTimeout: subscriber ? undefined : o.commandTimeout,
    connectTimeout: o.connectTimeout,
    maxRetriesPerRequest: subscriber ? null : 0,
    retryStrategy: retry,
    autoResubscribe: true,
    enableReadyCheck: true,
  };
}

/** Credentials and TLS from the URL, used with Sentinel and Cluster too. */
function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const out: RedisOptions = {};
  if (u.username) out.username = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  const db = Number(u.pathname.slice(1));
  if (u.pathname.length > 1 && Number.isInteger(db)) out.db = db;
  if (u.protocol === 'rediss:') out.tls = {};
  return out;
}

export function openRedis(o: RedisConnectOptions, subscriber: boolean): RedisClient {
  const base = baseOptions(o, subscriber);
  if (o.cluster && o.cluster.length > 0) {
    const creds = urlOptions(o.url);
    return new (ioredis().Cluster)(
      o.cluster.map((n) => ({ host: n.host, port: n.port })),
      {
        redisOptions: { ...base, ...creds, db: undefined },
        enableOfflineQueue: base.enableOfflineQueue,
        clusterRetryStrategy: retry,
      },
    );
  }
  if (o.sentinels && o.sentinels.length > 0) {
    return new (ioredis().Redis)({
      ...base,
      ...urlOptions(o.url),
      sentinels: o.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: o.sentinelName || 'mymaster',
    });
  }
  return new (ioredis().Redis)(o.url, base);
}

/** Resolves true once `client` is ready, false after `ms` (it keeps retrying in the background). */
export function whenReady(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    client.on('ready', onReady);
  });
}
