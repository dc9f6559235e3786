// Request hygiene (the "parse" stage) on top of llhttp's strict parser:
// host allowlist (never an open proxy), absolute-form targets, duplicate or
// missing Host, Transfer-Encoding on HTTP/1.0, CL with TE, declared body size.
// llhttp already refuses HTTP/0.9, bad chunking and NUL/CR/LF in headers.
import type { RequestContext, Stage, Verdict } from '../core/model.js';
import { proxyVerdicts } from './verdicts.js';

export interface HostMatcher {
  has(host: string): boolean;
}

/** Exact names and `*.suffix` wildcards, case-insensitive, port ignored. */
export function compileHosts(hosts: readonly string[]): HostMatcher {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const h of hosts) {
    const l = h.toLowerCase().replace(/^\[|\]$/g, '');
    if (l.startsWith('*.')) suffixes.push(l.slice(1));
    else exact.add(l);
  }
  return {
    has(host) {
      const name = stripPort(host).toLowerCase();
      if (exact.has(name)) return true;
      for (let i = 0; i < suffixes.length; i++)
        if (name.endsWith(suffixes[i]) && name.length > suffixes[i].length) return true;
      return false;
    },
  };
}

export function stripPort(host: string): string {
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(1, end) : host;
  }
  const colon = host.indexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function countHost(raw: string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 4 && raw[i].toLowerCase() === 'host') n++;
  return n;
}

/** Splits an absolute-form target into host and origin-form target; null when unreadable. */
function fromAbsolute(url: string): { host: string; target: string } | null {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return { host: u.host, target: u.pathname + u.search };
  } catch {
    return null;
  }
}

export function compileHygiene(hosts: HostMatcher, maxBodyBytes: number): Stage {
  function check(ctx: RequestContext): Verdict | null {
    const req = ctx.req;
    const hd = req.headers;
    const h2 = ctx.httpVersion === '2.0';
    if (!h2) {
      const n = countHost(req.rawHeaders);
      if (n > 1) return proxyVerdicts.duplicateHost;
      if (n === 0 && ctx.host === '') return proxyVerdicts.missingHost;
      if (hd['transfer-encoding'] !== undefined && (ctx.httpVersion === '1.0' || hd['content-length'] !== undefined))
        return proxyVerdicts.badFraming;
    }
    // `OPTIONS *` is origin-form's only exception; it still faces the host and size checks below.
    if (ctx.target.charCodeAt(0) !== 47 /* / */ && (ctx.target !== '*' || ctx.method !== 'OPTIONS')) {
      const abs = fromAbsolute(ctx.target);
      if (abs === null || !hosts.has(abs.host)) return proxyVerdicts.absoluteForm;
      ctx.host = abs.host;
      ctx.target = abs.target;
      splitTarget(ctx);
    }
    if (!hosts.has(ctx.host)) return proxyVerdicts.unknownHost;
    const cl = hd['content-length'];
    if (cl !== undefined && Number(cl) > maxBodyBytes) return proxyVerdicts.bodyTooLarge;
    return null;
  }
  return { name: 'parse', run: check };
}

/** Fills ctx.path and ctx.query from ctx.target. */
export function splitTarget(ctx: RequestContext): void {
  const t = ctx.target;
  const q = t.indexOf('?');
  if (q < 0) {
    ctx.path = t;
    ctx.query = '';
  } else {
    ctx.path = t.slice(0, q);
    ctx.query = t.slice(q + 1);
  }
}
