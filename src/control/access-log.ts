// The access log as an observer: refusals — a ban, limit, deny or shed, and a
// challenge or check answered with an error status — are written (at most
// `refusalsPerSecond` lines a second; the rest are counted and reported in the
// next line's `suppressed`, so a flood cannot turn the log into a second
// flood); allowed and served requests are sampled 1 in round(1/sample).
// Refusals of clients known for a while (returning a seen cookie first given
// KNOWN_AGE_MS ago or more: the people a surge's crowd is told apart from)
// have a budget of their own, so a flood's lines never hide them, and every
// refusal line says what asked for it and how old and marked the client's
// seen cookie is: a refused person can be explained from the log.
// Per request: a couple of comparisons; a log line only when chosen.
import { CLIENT_COOKIE, type Observer, type RequestContext } from '../core/model.js';

export interface AccessLogOptions {
  /** Share of allowed requests to log, 0..1. */
  sample: number;
  refusalsPerSecond: number;
  now(): number;
  write(line: Record<string, unknown>, msg: string): void;
}

/** A seen cookie first given this long ago (or more) makes a refusal one of a known client's (its own budget). */
export const KNOWN_AGE_MS = 30_000;

/** Refused: a verdict that is neither allow nor serve, or a challenge's answer with an error status (the proof of work, the assets check, a form post's 429). */
const isRefusal = (ctx: RequestContext): boolean => {
  const a = ctx.verdict.action;
  return a === 'serve' ? ctx.askedBy !== '' && ctx.status >= 400 : a !== 'allow';
};

/** One budget of lines a second: the rest are counted and reported with the next line written. */
class Budget {
  second = 0;
  written = 0;
  suppressed = 0;

  /** -1: over the budget (counted); else the lines suppressed since the last one written (reset). */
  take(now: number, cap: number): number {
    const s = Math.floor(now / 1000);
    if (s !== this.second) {
      this.second = s;
      this.written = 0;
    }
    if (this.written >= cap) {
      this.suppressed++;
      return -1;
    }
    this.written++;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

export function createAccessLog(o: AccessLogOptions): Observer {
  let allowed = 0;
  const flood = new Budget();
  const known = new Budget();
  return (ctx) => {
    if (!isRefusal(ctx)) {
      // Read each time: a reload may change the share (one division, no allocation).
      const every = o.sample <= 0 ? 0 : Math.max(1, Math.round(1 / o.sample));
      if (every === 0 || ++allowed < every) return;
      allowed = 0;
      o.write(fields(ctx, o.now(), 0), 'access');
      return;
    }
    const now = o.now();
    const knownClient = ctx.clientState === CLIENT_COOKIE && ctx.seenAt > 0 && now - ctx.seenAt >= KNOWN_AGE_MS;
    const suppressed = (knownClient ? known : flood).take(now, o.refusalsPerSecond);
    if (suppressed >= 0) o.write(fields(ctx, now, suppressed), 'refused');
  };
}

function fields(ctx: RequestContext, now: number, suppressed: number): Record<string, unknown> {
  // The query string is left out on purpose: it often carries personal data.
  const line: Record<string, unknown> = {
    method: ctx.method,
    host: ctx.host,
    path: ctx.path.length > 512 ? ctx.path.slice(0, 512) : ctx.path,
    status: ctx.status,
    verdict: ctx.verdict.rule,
    routeClass: ctx.routeClass,
    ip: ctx.clientIp,
    ms: now - ctx.startedAt,
    originMs: ctx.originMs,
    verified: ctx.verified,
  };
  if (ctx.askedBy !== '') line.askedBy = ctx.askedBy;
  // The seen cookie it returned: seconds since its client was first seen, and whether it loaded a page's assets.
  if (ctx.clientState === CLIENT_COOKIE && ctx.seenAt > 0) {
    line.seenS = Math.round((now - ctx.seenAt) / 1000);
    line.marked = ctx.personLike;
  }
  if (ctx.country) line.country = ctx.country;
  if (ctx.asn) line.asn = ctx.asn;
  if (suppressed > 0) line.suppressed = suppressed;
  return line;
}
