// The client tag a pass is bound to: a 32-bit FNV-1a hash of the full
// User-Agent string. Not identity's request fingerprint (ctx.fingerprint):
// that hashes header order and the Accept shape, which differ in one Chrome
// between a navigation, a reload, a form POST, an image and a fetch(), so a
// pass bound to it would re-challenge on every reload. O(length of the UA).
import type { Req } from './model.js';

export function clientTagOf(req: Req): number {
  const ua = req.headers['user-agent'];
  let h = 0x811c9dc5;
  if (ua === undefined) return h;
  for (let i = 0; i < ua.length; i++) h = Math.imul(h ^ ua.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
