// The access log as an observer: refusals are written (at most
// `refusalsPerSecond` lines a second; the rest are counted and reported in the
// next line's `suppressed`, so a flood cannot turn the log into a second
// flood); allowed and served requests are sampled 1 in round(1/sample).
// Per request: a couple of comparisons; a log line only when chosen.
import type { Observer, RequestContext } from '../core/model.js';

export interface AccessLogOptions {
  /** Share of allowed requests to log, 0..1. */
  sample: number;
  refusalsPerSecond: number;
  now(): number;
  write(line: Record<string, unknown>, msg: string): void;
}

const isRefusal = (ctx: RequestContext): boolean => ctx.verdict.action !== 'allow' && ctx.verdict.action !== 'serve';

export function createAccessLog(o: AccessLogOptions): Observer {
  let allowed = 0;
  let second = 0;
  let written = 0;
  let suppressed = 0;
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
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      written = 0;
    }
    if (written >= o.refusalsPerSecond) {
      suppressed++;
      return;
    }
    written++;
    o.write(fields(ctx, now, suppressed), 'refused');
    suppressed = 0;
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
  if (ctx.country) line.country = ctx.country;
  if (ctx.asn) line.asn = ctx.asn;
  if (suppressed > 0) line.suppressed = suppressed;
  return line;
}
