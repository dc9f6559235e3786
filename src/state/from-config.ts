// Builds the SharedState that `state:` asks for: memory (one node) or redis
// (several nodes). The app calls it once per process; reloads keep the state.
import type { StateConfig } from '../config/schema/state.js';
import { createMemoryState } from './memory.js';
import { createRedisState, type StateLog } from './redis.js';
import type { SharedState } from './types.js';

export function createStateFromConfig(c: StateConfig, deps: { now: () => number; log?: StateLog }): SharedState {
  const common = { now: deps.now, keyRotation: c.keyRotation, maxBans: c.maxBans, maxMitigations: c.maxMitigations };
  if (c.backend === 'memory') return createMemoryState(common);
  const r = c.redis;
  return createRedisState({
    ...common,
    url: r.url,
    keyPrefix: r.keyPrefix,
    sentinels: r.sentinels,
    sentinelName: r.sentinelName,
    cluster: r.cluster,
    syncInterval: r.syncInterval,
    reconcileInterval: r.reconcileInterval,
    commandTimeout: r.commandTimeout,
    connectTimeout: r.connectTimeout,
    log: deps.log,
  });
}
