// The shared incident slot: the id of the attack every node and worker is
// recording, so that a botnet split across them is one incident. A node that
// sees an attack joins the slot when it was touched within `ttl`, or opens a
// new incident with an id from the `incident` sequence. Not on the request
// path (once a tick at most); memory: one entry.

export interface SharedIncident {
  id: string;
  /** ms since the epoch when the first node opened it. */
  startedAt: number;
}

/** `inc-20260101T120000z-7`: start second (UTC) and the shared sequence number. */
export function incidentId(n: number, startedAt: number): string {
  return `inc-${incidentStamp(startedAt)}z-${n}`;
}

export function incidentStamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/** The slot for one process (memory backend, cluster primary). */
export function createIncidentSlot(next: () => number): (at: number, ttlMs: number) => SharedIncident {
  let cur: (SharedIncident & { touchedAt: number }) | null = null;
  return (at, ttlMs) => {
    if (cur && at - cur.touchedAt <= ttlMs) {
      if (at > cur.touchedAt) cur.touchedAt = at;
    } else cur = { id: incidentId(next(), at), startedAt: at, touchedAt: at };
    return { id: cur.id, startedAt: cur.startedAt };
  };
}

/**
 * The same in Redis, atomically. KEYS: slot hash, sequence. ARGV: at, ttl ms,
 * stamp of `at`. Returns {id, startedAt}. The slot expires a day after its last touch.
 */
export const INCIDENT_LUA = `
local id = redis.call('HGET', KEYS[1], 'id')
local touched = tonumber(redis.call('HGET', KEYS[1], 'touched') or '0')
local at = tonumber(ARGV[1])
if id and at - touched <= tonumber(ARGV[2]) then
  if at > touched then redis.call('HSET', KEYS[1], 'touched', ARGV[1]) end
  redis.call('PEXPIRE', KEYS[1], 86400000)
  return {id, redis.call('HGET', KEYS[1], 'started')}
end
local n = redis.call('INCR', KEYS[2])
id = 'inc-' .. ARGV[3] .. 'z-' .. n
redis.call('HSET', KEYS[1], 'id', id, 'started', ARGV[1], 'touched', ARGV[1])
redis.call('PEXPIRE', KEYS[1], 86400000)
return {id, ARGV[1]}
`;
