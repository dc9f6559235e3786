// Where to send a browser after it solved: only a same-origin path. A return
// value is attacker-controlled (it comes back in a POST), so anything that a
// browser could read as another origin — "//evil", "/\evil", "https://…",
// control characters that browsers strip ("/\t/evil") — becomes "/". O(length).
import { CHALLENGE_PREFIX } from './page.js';

const MAX_RETURN = 2048;

export function safeReturn(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_RETURN) return '/';
  if (v.charCodeAt(0) !== 47 /* / */) return '/';
  const c1 = v.charCodeAt(1);
  if (c1 === 47 || c1 === 92 /* \ */) return '/';
  for (let i = 1; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // Space, controls, DEL and non-ASCII: not in a valid origin-form target, and
    // tabs/newlines are removed by URL parsers (which could reopen "//").
    if (c <= 32 || c >= 127) return '/';
  }
  // Never back into the challenge endpoints (a loop, or a replayed refresh URL).
  if (v.startsWith(CHALLENGE_PREFIX)) return '/';
  return v;
}
