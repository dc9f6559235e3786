// Checks a drill target: an http:// URL on an IPv4 loopback address
// (127.0.0.0/8, or "localhost", taken as 127.0.0.1). A drill is real attack
// traffic, so it never leaves this machine: rehearse against a staging copy
// bound to loopback, never a live site. (::1 is refused: sources are 127.x.y.z.)
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
  if (u.protocol !== 'http:')
    throw new UsageError(
      `drill: ${flag} must be an http:// URL, got ${u.protocol}`,
      'drills speak plain HTTP/1.1 to a loopback listener',
    );
  if (!isLoopbackHost(u.hostname)) {
    throw new UsageError(
      `drill: refusing to attack ${u.hostname}${flag === '--target' ? '' : ` (${flag})`}: drills only target loopback addresses (127.0.0.0/8 or localhost)`,
      'a drill sends real attack traffic; run a staging copy of the site and Rampart on this machine and point --target at it',
    );
  }
  if (u.hostname === '[::1]')
    throw new UsageError(
      `drill: ${flag} on ::1 is not supported`,
      'simulated clients bind 127.x.y.z addresses: listen on 127.0.0.1 and use http://127.0.0.1:PORT',
    );
  const port = Number(u.port) || 80;
  const hostname = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
  return { origin: `http://${hostname}:${port}`, host: `${hostname}:${port}`, hostname, port };
}
