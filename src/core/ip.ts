// IP address parsing and keys: IPv4 as uint32, IPv6 as four uint32 words,
// and 32-bit keys for per-client structures (IPv6 clients are keyed by /64,
// since one host usually owns a whole /64). Pure, no allocation for IPv4.
import { isIPv4, isIPv6 } from 'node:net';
import { FNV_OFFSET, fnvWord } from './hash.js';

// ::ffff:a.b.c.d in any case, with :: or five zero groups; the tail must be dotted only.
const MAPPED = /^(?:::|(?:0{1,4}:){5})ffff:(?=[\d.]+$)/i;

/**
 * An IPv4-mapped IPv6 address (what dual-stack sockets report, and what a
 * forwarded header may carry in any spelling) as its IPv4 address; any other
 * text unchanged. IPv4 text costs one char check.
 */
export function normalizeIp(addr: string): string {
  const c = addr.charCodeAt(0);
  if ((c !== 58 /* : */ && c !== 48) /* 0 */ || addr.length < 9 || addr.indexOf('.') < 0) return addr;
  if (addr.startsWith('::ffff:') && addr.indexOf(':', 7) < 0) return addr.slice(7);
  const m = MAPPED.exec(addr);
  return m === null ? addr : addr.slice(m[0].length);
}

/** Parses dotted IPv4 into a uint32, or -1 when it is not one. */
export function parseIPv4(s: string): number {
  let out = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      out = out * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // no leading zeros (octal ambiguity)
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return (out * 256 + part) >>> 0;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses IPv6 (with ::, and an embedded IPv4 tail) into 4 uint32 words, or null. */
export function parseIPv6(s: string): Uint32Array | null {
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return null;
  let head = s;
  let tail4 = -1;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tail4 = parseIPv4(s.slice(lastColon + 1));
    if (tail4 < 0) return null;
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = new Array<number>(8).fill(0);
  for (let i = 0; i < left.length; i++) groups[i] = parseInt(left[i], 16);
  for (let i = 0; i < right.length; i++) groups[8 - right.length + i] = parseInt(right[i], 16);
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  if (tail4 >= 0) w[3] = tail4;
  return w;
}

export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** FNV-1a over two uint32 words, for IPv6 /64 and /48 keys. */
function mix2(a: number, b: number): number {
  return (fnvWord(fnvWord(FNV_OFFSET, a), b) | 0x80000000) >>> 0; // high bit set: never collides with small IPv4 keys' space by accident
}

/** 32-bit key of a client: IPv4 address itself, IPv6 hashed /64. */
export function clientKeyOf(ip: string): number {
  const v4 = parseIPv4(ip);
  if (v4 >= 0) return v4;
  const w = parseIPv6(ip);
  return w ? mix2(w[0], w[1]) : 0;
}

/** 32-bit key of a client's prefix: IPv4 /24 (as its network address), IPv6 hashed /48. */
export function prefixKeyOf(ip: string): number {
  const v4 = parseIPv4(ip);
  if (v4 >= 0) return (v4 & 0xffffff00) >>> 0;
  const w = parseIPv6(ip);
  return w ? mix2(w[0], w[1] & 0xffff0000) : 0;
}

/** Human form of a prefix for reports: "203.0.113.0/24" or "2001:db8:1::/48". */
export function prefixLabelOf(ip: string): string {
  const v4 = parseIPv4(ip);
  if (v4 >= 0) return `${formatIPv4((v4 & 0xffffff00) >>> 0)}/24`;
  const w = parseIPv6(ip);
  if (!w) return ip;
  const g = [w[0] >>> 16, w[0] & 0xffff, w[1] >>> 16];
  return `${g.map((x) => x.toString(16)).join(':')}::/48`;
}
