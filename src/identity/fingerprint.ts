// Request fingerprint: a 32-bit hash of the header-name order, the user-agent
// family and the shape of Accept/Accept-Language/Accept-Encoding. Bots that
// rotate addresses usually keep one fingerprint; browsers of one family share
// a few. Not an identity of a person. O(headers), no allocation beyond lowercasing.
import type { Req } from '../core/model.js';

const FNV_OFFSET = 0x811c9dc5;

function fnv(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ (s.charCodeAt(i) | 0x20), 0x01000193);
  return Math.imul(h ^ 0x2c, 0x01000193); // separator
}

const FAMILIES: [RegExp, string][] = [
  [/curl\//i, 'curl'],
  [/wget\//i, 'wget'],
  [/python-requests|python-urllib|aiohttp|httpx/i, 'python'],
  [/go-http-client/i, 'go'],
  [/node-fetch|undici|axios|node\.js/i, 'node'],
  [/bot|crawler|spider|slurp/i, 'bot'],
  [/edg\//i, 'edge'],
  [/firefox\//i, 'firefox'],
  [/chrome\/|chromium\//i, 'chrome'],
  [/safari\//i, 'safari'],
];

/** Coarse user-agent family: 'chrome', 'firefox', 'curl', 'python', … or 'other'/'none'. */
export function uaFamily(ua: string | undefined): string {
  if (!ua) return 'none';
  for (let i = 0; i < FAMILIES.length; i++) if (FAMILIES[i][0].test(ua)) return FAMILIES[i][1];
  return 'other';
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

/** `family`: the user-agent family after the browser check (a `spoofed` claim gets a fingerprint of its own). */
export function fingerprintOf(req: Req, family?: string): number {
  let h = FNV_OFFSET;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58) continue; // h2 pseudo-headers
    h = fnv(h, name);
  }
  const hd = req.headers;
  h = fnv(h, family ?? uaFamily(hd['user-agent']));
  h = fnv(h, shape(hd.accept));
  h = fnv(h, shape(hd['accept-language']));
  h = fnv(h, shape(hd['accept-encoding']));
  return h >>> 0;
}
