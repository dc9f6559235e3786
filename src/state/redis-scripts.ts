// Key names and Lua scripts of the redis backend. Every key carries the hash
// tag {<prefix>} so that all of them live in one slot (Redis Cluster runs
// multi-key scripts only within a slot). Each write bumps `version` and
// publishes "<version>|<json>" so that nodes can notice a missed message.

export interface RedisKeys {
  bans: string;
  banExpiry: string;
  /** Tombstones: removal time of recently removed bans, so that a reseed cannot resurrect them. */
  banGone: string;
  mitigations: string;
  mitigationExpiry: string;
  mitigationGone: string;
  mode: string;
  keys: string;
  version: string;
  channel: string;
  /** Pub/sub channel of node-to-node payloads (binary: 36-byte node id, then the payload). */
  nodes: string;
  counts(second: number): string;
  seq(name: string): string;
  /** The shared incident slot (incident-slot.ts). */
  incident: string;
  /** A blob of learned state (SharedState.putLearned). */
  learned(name: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  const p = `{${prefix.replace(/[{}]/g, '')}}:`;
  return {
    bans: `${p}bans`,
    banExpiry: `${p}ban-expiry`,
    banGone: `${p}ban-gone`,
    mitigations: `${p}mitigations`,
    mitigationExpiry: `${p}mitigation-expiry`,
    mitigationGone: `${p}mitigation-gone`,
    mode: `${p}mode`,
    keys: `${p}keys`,
    version: `${p}version`,
    channel: `${p}changes`,
    nodes: `${p}nodes`,
    counts: (s) => `${p}counts:${s}`,
    seq: (name) => `${p}seq:${name}`,
    incident: `${p}incident`,
    learned: (name) => `${p}learned:${name}`,
  };
}

/**
 * KEYS: hash, expiry zset, version, tombstone zset. ARGV: op, field, value,
 * until, channel, message, time. Ops: put, del (leaves a tombstone at
 * `time`), set (a mode field), and the reseed ops seed / setnx, which write
 * only what is absent and not removed after `time` (the entry's creation).
 * Returns the new version, or 0 when a reseed op changed nothing.
 */
export const APPLY_LUA = `
local op = ARGV[1]
if op == 'seed' then
  if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 0 end
  local gone = redis.call('ZSCORE', KEYS[4], ARGV[2])
  if gone and tonumber(gone) >= tonumber(ARGV[7]) then return 0 end
  op = 'put'
elseif op == 'setnx' then
  if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 0 end
  op = 'set'
end
if op == 'put' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[2])
  redis.call('ZREM', KEYS[4], ARGV[2])
elseif op == 'del' then
  redis.call('HDEL', KEYS[1], ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('ZADD', KEYS[4], ARGV[7], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[5], v .. '|' .. ARGV[6])
return v
`;

/**
 * Creates the signing keys when absent, or rotates them when the stored
 * rotation time is still the one the caller saw (first node wins; others adopt).
 * KEYS: keys hash, version. ARGV: expected rotated_at ('' = create only),
 * new key (base64), now, channel, node id. Returns {current, previous, rotated_at}.
 */
export const KEYS_LUA = `
local cur = redis.call('HGET', KEYS[1], 'current')
local at = redis.call('HGET', KEYS[1], 'rotated_at')
local changed = false
if not cur then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'previous', '', 'rotated_at', ARGV[3])
  changed = true
elseif ARGV[1] ~= '' and at == ARGV[1] then
  redis.call('HSET', KEYS[1], 'previous', cur, 'current', ARGV[2], 'rotated_at', ARGV[3])
  changed = true
end
local c = redis.call('HGET', KEYS[1], 'current')
local p = redis.call('HGET', KEYS[1], 'previous') or ''
local a = redis.call('HGET', KEYS[1], 'rotated_at')
if changed then
  local v = redis.call('INCR', KEYS[2])
  redis.call('PUBLISH', ARGV[4], v .. '|' .. cjson.encode({n = ARGV[5], k = 'keys', d = {current = c, previous = p, rotatedAt = tonumber(a)}}))
end
return {c, p, a}
`;

/**
 * Removes expired members and tombstones older than a day.
 * KEYS: hash, expiry zset, tombstone zset. ARGV: now. Returns how many entries went.
 */
export const SWEEP_LUA = `
local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for i = 1, #gone do
  redis.call('HDEL', KEYS[1], gone[i])
  redis.call('ZREM', KEYS[2], gone[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[1]) - 86400000)
return #gone
`;
