// Request fingerprint: a 32-bit hash of the header-name order (a tool's Cookie and
// Referer left out: they follow its state, not its software), the user-agent
// family and the shape of Accept/Accept-Language/Accept-Encoding. Bots that
// rotate addresses usually keep one fingerprint; browsers of one family share
// a few. Not an identity of a person. O(headers), no allocation beyond lowercasing.
import type { Req } from '../core/model.js';
import { FNV_OFFSET, fnv1aCaseless, fnvStep } from '../core/hash.js';
import { BROWSER_FAMILIES, uaFamily } from '../core/ua-family.js';

/** `s` folded into `h` regardless of letter case, then a ',' separator. */
function fnv(h: number, s: string): number {
  return fnvStep(fnv1aCaseless(s, h), 0x2c);
}

/** Shape of a header value: which of its characters classes and how many items, not its content. */
function shape(v: string | string[] | undefined): string {
  if (v === undefined) return '-';
  const s = Array.isArray(v) ? v.join(',') : v;
  let items = 1;
  let q = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 44) items++;
    else if (c === 113 && s.charCodeAt(i + 1) === 61) q++;
  }
  return `${items}.${q}`;
}

function isStateHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'cookie' || n === 'referer';
}

/** `family`: the User-Agent's family when the caller already has it (identity computes it once per request). */
export function fingerprintOf(req: Req, family = uaFamily(req.headers['user-agent'])): number {
  let h = FNV_OFFSET;
  const tool = !BROWSER_FAMILIES.has(family);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58) continue; // h2 pseudo-headers
    // A tool's Cookie and Referer come and go with its state (its first request has neither), not
    // with its software: counted, they would give a cookie-keeping tool two fingerprints, and a
    // signature taken from an attack's first requests would miss its next ones. A browser's are
    // kept: people return the cookie, and a browser-identical flood that drops it stays apart.
    if (tool && (name.length === 6 || name.length === 7) && isStateHeader(name)) continue;
    h = fnv(h, name);
  }
  const hd = req.headers;
  h = fnv(h, family);
  h = fnv(h, shape(hd.accept));
  h = fnv(h, shape(hd['accept-language']));
  h = fnv(h, shape(hd['accept-encoding']));
  return h >>> 0;
}
