// The client tag a pass is bound to: a 32-bit FNV-1a hash of the full
// User-Agent string. Not identity's request fingerprint (ctx.fingerprint):
// that hashes header order and the Accept shape, which differ in one Chrome
// between a navigation, a reload, a form POST, an image and a fetch(), so a
// pass bound to it would re-challenge on every reload. O(length of the UA).
// Also the User-Agent's shape the seen cookie is bound to (src/identity/seen-cookie.ts).
import { FNV_OFFSET, fnv1a, fnvStep } from './hash.js';
import type { Req } from './model.js';

export function clientTagOf(req: Req): number {
  return uaTagOf(req.headers['user-agent']);
}

/** The full User-Agent's tag (clientTagOf), from the header's value. */
export function uaTagOf(ua: string | undefined): number {
  return ua === undefined ? FNV_OFFSET : fnv1a(ua);
}

/**
 * A User-Agent's shape: FNV-1a of its text without ASCII digits. Chrome 130 and 131 on one system share it
 * (a browser updates itself without forgetting its cookies); Chrome and Firefox, or Windows and Android, do not.
 */
export function uaShapeOf(ua: string | undefined): number {
  if (ua === undefined) return FNV_OFFSET;
  let h = FNV_OFFSET;
  for (let i = 0; i < ua.length; i++) {
    const c = ua.charCodeAt(i);
    if (c < 48 || c > 57) h = fnvStep(h, c);
  }
  return h >>> 0;
}
