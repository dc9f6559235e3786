// Bearer-token check for the admin listener: constant-time comparison (both
// sides hashed to 32 bytes first, so the length leaks nothing), and a per-address
// limit on failed attempts (429 with Retry-After once exceeded, even for the
// right token, until the window ends). Memory: at most `maxTracked` addresses.
import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult =
  | { ok: true }
  | { ok: false; status: 401 | 403 | 429; code: string; message: string; hint: string; retryAfter: number };

export interface AuthOptions {
  token: string;
  /** Failed attempts allowed per address in one window. */
  maxFailures?: number;
  windowMs?: number;
  maxTracked?: number;
  now(): number;
}

interface Entry {
  failures: number;
  windowStart: number;
}

export interface AdminAuth {
  check(authorization: string | undefined, ip: string): AuthResult;
  /** Addresses currently tracked (for tests and stats). */
  tracked(): number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export function createAdminAuth(o: AuthOptions): AdminAuth {
  const want = digest(o.token);
  const maxFailures = o.maxFailures ?? 5;
  const windowMs = o.windowMs ?? 60_000;
  const maxTracked = o.maxTracked ?? 4096;
  // Insertion-ordered: when full, the oldest entry is dropped.
  const failures = new Map<string, Entry>();

  function locked(ip: string, now: number): number {
    const e = failures.get(ip);
    if (!e) return 0;
    if (now - e.windowStart >= windowMs) {
      failures.delete(ip);
      return 0;
    }
    return e.failures >= maxFailures ? Math.ceil((e.windowStart + windowMs - now) / 1000) : 0;
  }

  function fail(ip: string, now: number): void {
    const e = failures.get(ip);
    if (e) {
      e.failures++;
      return;
    }
    if (failures.size >= maxTracked) failures.delete(failures.keys().next().value as string);
    failures.set(ip, { failures: 1, windowStart: now });
  }

  return {
    tracked: () => failures.size,
    check(authorization, ip) {
      const now = o.now();
      const wait = locked(ip, now);
      if (wait > 0)
        return {
          ok: false,
          status: 429,
          code: 'E_AUTH_RATE',
          message: 'too many failed token attempts from this address',
          hint: `wait ${wait}s; check the token in admin.token`,
          retryAfter: wait,
        };
      const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!m) {
        fail(ip, now);
        return {
          ok: false,
          status: 401,
          code: 'E_AUTH_MISSING',
          message: 'this endpoint needs the admin token',
          hint: 'send the header "Authorization: Bearer <admin.token>"',
          retryAfter: 0,
        };
      }
      if (!timingSafeEqual(digest(m[1]), want)) {
        fail(ip, now);
        return {
          ok: false,
          status: 403,
          code: 'E_AUTH_TOKEN',
          message: 'the admin token is wrong',
          hint: 'use the value of admin.token from the configuration (or the token Rampart logged at start)',
          retryAfter: 0,
        };
      }
      return { ok: true };
    },
  };
}
