// Checks a drill target: an http:// URL on a loopback address (127.0.0.0/8,
// ::1 or "localhost"). A drill is real attack traffic, so it never leaves this
// machine: rehearse against a staging copy bound to loopback, never a live site.
import { UsageError } from '../core/errors.js';
import { parseIPv4 } from '../core/ip.js';

export interface Target {
  /** scheme://host:port, no path. */
  origin: string;
  /** The Host header to send. */
  host: string;
  hostname: string;
  port: number;
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const n = parseIPv4(h);
  return n >= 0 && n >>> 24 === 127;
}

/** Parses and checks `text`; `flag` names the option in error messages. */
export function parseTarget(text: string | undefined, flag = '--target'): Target {
  if (!text) throw new UsageError(`drill: ${flag} is required`, 'e.g. --target http://127.0.0.1:8080');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`drill: ${flag} is not a URL: ${JSON.stringify(text)}`, 'e.g. http://127.0.0.1:8080');
  }
  if (u.protocol !== 'http:') throw new UsageError(`drill: ${flag} must be an http:// URL, got ${u.protocol}`, 'drills speak plain HTTP/1.1 to a loopback listener');
  if (!isLoopbackHost(u.hostname)) {
    throw new UsageError(
      `drill: refusing to attack ${u.hostname}: drills only target loopback addresses (127.0.0.0/8, ::1, localhost)`,
      'a drill sends real attack traffic; run a staging copy of the site and Rampart on this machine and point --target at it',
    );
  }
  const port = Number(u.port) || 80;
  return { origin: u.origin, host: u.host, hostname: u.hostname.replace(/^\[|\]$/g, ''), port };
}
