// The client tag a pass is bound to: a 32-bit FNV-1a hash of the full
// User-Agent string. Not identity's request fingerprint (ctx.fingerprint):
// that hashes header order and the Accept shape, which differ in one Chrome
// between a navigation, a reload, a form POST, an image and a fetch(), so a
// pass bound to it would re-challenge on every reload. O(length of the UA).
import { FNV_OFFSET, fnv1a } from './hash.js';
import type { Req } from './model.js';

export function clientTagOf(req: Req): number {
  const ua = req.headers['user-agent'];
  return ua === undefined ? FNV_OFFSET : fnv1a(ua);
}
