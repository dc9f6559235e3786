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

const MISSING: AuthResult = {
  ok: false,
  status: 401,
  code: 'E_AUTH_MISSING',
  message: 'this endpoint needs the admin token',
  hint: 'send the header "Authorization: Bearer <admin.token>"',
  retryAfter: 0,
};

const WRONG: AuthResult = {
  ok: false,
  status: 403,
  code: 'E_AUTH_TOKEN',
  message: 'the admin token is wrong',
  hint: 'use the value of admin.token from the configuration (or the token Rampart logged at start)',
  retryAfter: 0,
};

export function createAdminAuth(o: AuthOptions): AdminAuth {
  return new TokenCheck(o);
}

class TokenCheck implements AdminAuth {
  private readonly want: Buffer;
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  /** Insertion-ordered: when full, the oldest entry is dropped. */
  private readonly failures = new Map<string, Entry>();

  constructor(private readonly o: AuthOptions) {
    this.want = digest(o.token);
    this.maxFailures = o.maxFailures ?? 5;
    this.windowMs = o.windowMs ?? 60_000;
    this.maxTracked = o.maxTracked ?? 4096;
  }

  tracked(): number {
    return this.failures.size;
  }

  check(authorization: string | undefined, ip: string): AuthResult {
    const now = this.o.now();
    const wait = this.locked(ip, now);
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
      this.fail(ip, now);
      return MISSING;
    }
    if (!timingSafeEqual(digest(m[1]), this.want)) {
      this.fail(ip, now);
      return WRONG;
    }
    return { ok: true };
  }

  /** Seconds until the address may try again (0: it may now). */
  private locked(ip: string, now: number): number {
    const e = this.failures.get(ip);
    if (!e) return 0;
    if (now - e.windowStart >= this.windowMs) {
      this.failures.delete(ip);
      return 0;
    }
    return e.failures >= this.maxFailures ? Math.ceil((e.windowStart + this.windowMs - now) / 1000) : 0;
  }

  private fail(ip: string, now: number): void {
    const e = this.failures.get(ip);
    if (e) {
      e.failures++;
      return;
    }
    if (this.failures.size >= this.maxTracked) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(ip, { failures: 1, windowStart: now });
  }
}
