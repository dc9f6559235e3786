// Public surface of the state module: the SharedState contract and its backends.
// Consumers declare their own narrow views (same method names) instead of importing this.
export type { SharedState, StateHealth } from './types.js';
export { createMemoryState, DEFAULT_KEY_ROTATION, type MemoryState, type MemoryStateOptions } from './memory.js';
export { StateInputError } from './ban-table.js';
export { parseBanTarget } from './ban-index.js';
export { createRedisState, type RedisState, type RedisStateOptions, type StateLog } from './redis.js';
export { createStateFromConfig } from './from-config.js';
export { createStateHub, type StateHub, type HubState } from './hub.js';
export { createWorkerState, type WorkerStateOptions } from './worker-state.js';
export { createTrafficCounts, type TrafficCounts } from './traffic-counts.js';
export { incidentId, type SharedIncident } from './incident-slot.js';
