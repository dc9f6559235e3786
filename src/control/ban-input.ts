// Validates a ban as an operator sends it (API or CLI): an address or CIDR,
// not wider than /8 (IPv4) or /32 (IPv6) so one typo cannot ban the world, a
// duration between 1 s and 30 days, a reason of at most 500 characters.
// Returns the Ban to store or throws ApiError with a code and a hint.
import { checkCidr } from '../core/cidr-set.js';
import type { Ban } from '../core/model.js';
import { parseDuration } from '../config/values.js';
import { badRequest } from './admin-errors.js';

export const MAX_BAN_MS = 30 * 86_400_000;
export const DEFAULT_BAN_MS = 3_600_000;

/** Normalizes and checks a ban target; returns it in canonical text or throws. */
export function checkBanTarget(target: unknown): string {
  if (typeof target !== 'string' || target.trim() === '')
    throw badRequest(
      'E_BAN_TARGET',
      'a ban needs "target": an address or CIDR',
      'e.g. {"target": "203.0.113.7"} or {"target": "203.0.113.0/24"}',
    );
  const t = target.trim().toLowerCase();
  if (checkCidr(t) !== null)
    throw badRequest(
      'E_BAN_TARGET',
      `not an IP address or CIDR range: ${JSON.stringify(target)}`,
      'write e.g. 203.0.113.7, 203.0.113.0/24 or 2001:db8::/48',
    );
  const slash = t.indexOf('/');
  if (slash > 0) {
    const bits = Number(t.slice(slash + 1));
    const v6 = t.includes(':');
    if ((!v6 && bits < 8) || (v6 && bits < 32))
      throw badRequest(
        'E_BAN_TOO_WIDE',
        `refusing to ban ${t}: wider than /${v6 ? 32 : 8}`,
        'ban narrower ranges; for a whole country or network use policy deny lists',
      );
  }
  return t;
}

export function parseBan(body: unknown, now: number): Ban {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('E_BAN_BODY', 'send a JSON object', '{"target": "203.0.113.7", "duration": "1h", "reason": "…"}');
  const b = body as Record<string, unknown>;
  const unknownKeys = Object.keys(b).filter((k) => !['target', 'duration', 'reason'].includes(k));
  if (unknownKeys.length)
    throw badRequest(
      'E_BAN_BODY',
      `unknown field${unknownKeys.length > 1 ? 's' : ''}: ${unknownKeys.join(', ')}`,
      'fields are target, duration, reason',
    );
  const target = checkBanTarget(b.target);
  let ms = DEFAULT_BAN_MS;
  if (b.duration !== undefined) {
    ms = typeof b.duration === 'string' || typeof b.duration === 'number' ? parseDuration(b.duration) : NaN;
    if (Number.isNaN(ms))
      throw badRequest('E_BAN_DURATION', `not a duration: ${JSON.stringify(b.duration)}`, 'write e.g. 10m, 1h, 7d');
    if (ms < 1000 || ms > MAX_BAN_MS)
      throw badRequest(
        'E_BAN_DURATION',
        `ban duration must be between 1s and 30d, got ${JSON.stringify(b.duration)}`,
        'write e.g. 10m, 1h, 7d',
      );
  }
  if (b.reason !== undefined && typeof b.reason !== 'string')
    throw badRequest(
      'E_BAN_REASON',
      '"reason" must be a string',
      'e.g. "reason": "credential stuffing from this range"',
    );
  const reason = typeof b.reason === 'string' ? b.reason.trim() : '';
  if (reason.length > 500)
    throw badRequest('E_BAN_REASON', 'reason is longer than 500 characters', 'keep it to one sentence');
  return {
    target,
    rule: 'ban/manual',
    createdAt: now,
    until: now + ms,
    reason: reason || 'manual ban by an operator',
    source: 'manual',
  };
}
