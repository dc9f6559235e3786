// The seen cookie: a signed note, set on the first response a client gets,
// of when Rampart first saw it. A browser sends it back on every later
// request — to any worker, any node, and after a restart — so "was this
// client here before the surge began?" has an answer that survives all three
// and that nobody can backdate. Flood tools usually ignore cookies, which is
// a signal of its own (src/detector). Bound to the address prefix and the
// User-Agent like the pass; value = "<first seen, s>.<MAC of prefix|tag|stamp|'S'>",
// or "<first seen, s>p.<MAC of prefix|tag|stamp|'P'>" once the client loaded a
// page's assets with it (src/identity/stage.ts: person-like, what a browser
// does and most floods skip). Not the pass: it proves nothing about solving a challenge.
// Cost: one cookie scan and one HMAC (~1 µs) per request that carries it or gets it.
import { cookieValue } from '../core/cookie.js';
import { MAC_CHARS, type MacRing } from '../core/mac.js';

const STAMP_DIGITS = 10;
/** A stamp may run this far ahead of our clock (nodes' clocks differ a little). */
const SKEW_S = 120;

export interface SeenCookie {
  readonly name: string;
  /** The first-seen second a valid cookie in this Cookie header claims, 0 when none is valid. */
  read(cookieHeader: string | undefined, prefixKey: number, tag: number, nowS: number): number;
  /** Whether the cookie the last `read` found valid carries the assets mark (false after a read that found none). */
  readonly marked: boolean;
  /** A Set-Cookie value stamping `firstS` as the first sight of this client; `marked`: it loaded a page's assets. */
  issue(prefixKey: number, tag: number, firstS: number, secure: boolean, marked?: boolean): string;
}

export function createSeenCookie(ring: MacRing, name: string, maxAgeS: number): SeenCookie {
  const msg = Buffer.alloc(13);
  const fill = (prefixKey: number, tag: number, stampS: number, marked: boolean) => {
    msg.writeUInt32BE(prefixKey >>> 0, 0);
    msg.writeUInt32BE(tag >>> 0, 4);
    msg.writeUInt32BE(stampS >>> 0, 8);
    // 'S' or 'P' (marked): a pass (12 bytes, no suffix) can never verify as a seen cookie, nor an
    // unmarked cookie with a "p" added as a marked one.
    msg[12] = marked ? 0x50 : 0x53;
    return msg;
  };
  const attrs = `; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax`;
  let lastMarked = false;
  return {
    name,
    get marked() {
      return lastMarked;
    },
    read(header, prefixKey, tag, nowS) {
      lastMarked = false;
      if (header === undefined) return 0;
      const v = cookieValue(header, name);
      const dot = v.length - MAC_CHARS - 1;
      if (dot < 1 || v.charCodeAt(dot) !== 46 /* . */ || v.charCodeAt(0) === 48) return 0;
      const marked = v.charCodeAt(dot - 1) === 112; /* p */
      const digits = marked ? dot - 1 : dot;
      if (digits < 1 || digits > STAMP_DIGITS) return 0;
      let stamp = 0;
      for (let i = 0; i < digits; i++) {
        const d = v.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return 0;
        stamp = stamp * 10 + d;
      }
      if (stamp > nowS + SKEW_S || stamp < nowS - maxAgeS) return 0;
      if (!ring.verify(fill(prefixKey, tag, stamp, marked), v, dot + 1)) return 0;
      lastMarked = marked;
      return stamp;
    },
    issue(prefixKey, tag, firstS, secure, marked = false) {
      const stamp = firstS >>> 0;
      const mac = ring.sign(fill(prefixKey, tag, stamp, marked));
      return `${name}=${stamp}${marked ? 'p' : ''}.${mac}${attrs}${secure ? '; Secure' : ''}`;
    },
  };
}
