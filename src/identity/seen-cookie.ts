// The seen cookie: a signed note, set on the first response a client gets,
// of when Rampart first saw it. A browser sends it back on every later
// request — to any worker, any node, and after a restart — so "was this
// client here before the surge began?" has an answer that survives all three
// and that nobody can backdate. Flood tools usually ignore cookies, which is
// a signal of its own (src/detector). Bound to the address prefix and the
// User-Agent's shape (its text without digits: a browser's update keeps the
// cookie, a switch to another browser or system does not). Value =
// "<first seen, s>[p][r]-<shape tag, 8 hex>.<MAC of prefix|tag|stamp|flags|'T'>";
// "p" once the client loaded a page's assets with it (src/identity/stage.ts:
// person-like, what a browser does and most floods skip). The tag is in the
// clear so that a genuine cookie carried under another User-Agent can be told
// from a missing or forged one: `moved`, what a tool rotating its User-Agent
// over one cookie jar does and no person's browser does. "r" on the cookie
// given after a move, and on every cookie given to that jar after it: the jar
// stays known as one that moved (`rotated`) under whatever User-Agent comes
// next, and loading assets does not wash it out. Cookies of the
// earlier form, "<stamp>[p].<MAC of prefix|UA hash|stamp|'S' or 'P'>", still
// read (bound to the full User-Agent), so an upgrade forgets nobody. Not the
// pass: it proves nothing about solving a challenge.
// Cost: one cookie scan, one or two passes over the User-Agent and one HMAC
// (~1 µs) per request that carries it or gets it. The tags: src/core/client-tag.ts.
import { cookieValue } from '../core/cookie.js';
import { uaShapeOf, uaTagOf } from '../core/client-tag.js';
import { MAC_CHARS, type MacRing } from '../core/mac.js';

const STAMP_DIGITS = 10;
/** A stamp may run this far ahead of our clock (nodes' clocks differ a little). */
const SKEW_S = 120;
const TAG_CHARS = 8;

export interface SeenCookie {
  readonly name: string;
  /** The first-seen second a valid cookie in this Cookie header claims, 0 when none is valid; `ua` the request's User-Agent. */
  read(cookieHeader: string | undefined, prefixKey: number, ua: string | undefined, nowS: number): number;
  /** Whether the cookie the last `read` found valid carries the assets mark (false after a read that found none). */
  readonly marked: boolean;
  /** Whether the last `read` found, instead of a valid cookie, a genuine one of this prefix issued to a User-Agent of another shape. */
  readonly moved: boolean;
  /** Whether the valid cookie the last `read` found was given after a move ("r"): its jar moved between User-Agents before. */
  readonly rotated: boolean;
  /**
   * A Set-Cookie value stamping `firstS` as the first sight of this client; `marked`: it loaded a page's
   * assets; `rotated`: its jar moved between User-Agents (now or before).
   */
  issue(
    prefixKey: number,
    ua: string | undefined,
    firstS: number,
    secure: boolean,
    marked?: boolean,
    rotated?: boolean,
  ): string;
}

/** The 8 hex digits at v[at, at + 8) as a uint32, or -1. */
function hexAt(v: string, at: number): number {
  let t = 0;
  for (let i = at; i < at + TAG_CHARS; i++) {
    const c = v.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    t = t * 16 + d;
  }
  return t;
}

/** The MAC'd message: prefix, tag (the legacy form: the User-Agent's hash), stamp, flags, and 'T' for the tagged form. */
function fill(msg: Buffer, prefixKey: number, tag: number, stampS: number, marked: boolean, rotated = false): Buffer {
  msg.writeUInt32BE(prefixKey >>> 0, 0);
  msg.writeUInt32BE(tag >>> 0, 4);
  msg.writeUInt32BE(stampS >>> 0, 8);
  // 'S', 'P' (marked), 'R' (rotated) or 'Q' (both): a pass (12 bytes, no suffix) can never verify as a
  // seen cookie, nor a cookie with a "p" or an "r" added or removed as another; 'T' ends the tagged form
  // (never a legacy one, which has no "r").
  msg[12] = rotated ? (marked ? 0x51 : 0x52) : marked ? 0x50 : 0x53;
  if (msg.length > 13) msg[13] = 0x54;
  return msg;
}

export function createSeenCookie(ring: MacRing, name: string, maxAgeS: number): SeenCookie {
  const legacy = Buffer.alloc(13);
  const tagged = Buffer.alloc(14);
  const attrs = `; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax`;
  let lastMarked = false;
  let lastMoved = false;
  let lastRotated = false;
  return {
    name,
    get marked() {
      return lastMarked;
    },
    get moved() {
      return lastMoved;
    },
    get rotated() {
      return lastRotated;
    },
    read(header, prefixKey, ua, nowS) {
      lastMarked = false;
      lastMoved = false;
      lastRotated = false;
      if (header === undefined) return 0;
      const v = cookieValue(header, name);
      const dot = v.length - MAC_CHARS - 1;
      if (dot < 1 || v.charCodeAt(dot) !== 46 /* . */ || v.charCodeAt(0) === 48) return 0;
      const dash = dot - TAG_CHARS - 1;
      const isTagged = dash >= 1 && v.charCodeAt(dash) === 45; /* - */
      const end = isTagged ? dash : dot;
      const rotated = isTagged && v.charCodeAt(end - 1) === 114; /* r */
      const flagsEnd = rotated ? end - 1 : end;
      const marked = v.charCodeAt(flagsEnd - 1) === 112; /* p */
      const digits = marked ? flagsEnd - 1 : flagsEnd;
      if (digits < 1 || digits > STAMP_DIGITS) return 0;
      let stamp = 0;
      for (let i = 0; i < digits; i++) {
        const d = v.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return 0;
        stamp = stamp * 10 + d;
      }
      if (stamp > nowS + SKEW_S || stamp < nowS - maxAgeS) return 0;
      if (!isTagged) {
        if (!ring.verify(fill(legacy, prefixKey, uaTagOf(ua), stamp, marked), v, dot + 1)) return 0;
      } else {
        const tag = hexAt(v, dash + 1);
        if (tag < 0 || !ring.verify(fill(tagged, prefixKey, tag, stamp, marked, rotated), v, dot + 1)) return 0;
        if (tag !== uaShapeOf(ua)) {
          lastMoved = true;
          return 0;
        }
      }
      lastMarked = marked;
      lastRotated = rotated;
      return stamp;
    },
    issue(prefixKey, ua, firstS, secure, marked = false, rotated = false) {
      const stamp = firstS >>> 0;
      const tag = uaShapeOf(ua);
      const mac = ring.sign(fill(tagged, prefixKey, tag, stamp, marked, rotated));
      const hex = tag.toString(16).padStart(TAG_CHARS, '0');
      const flags = `${marked ? 'p' : ''}${rotated ? 'r' : ''}`;
      return `${name}=${stamp}${flags}-${hex}.${mac}${attrs}${secure ? '; Secure' : ''}`;
    },
  };
}
