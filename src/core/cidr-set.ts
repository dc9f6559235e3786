// A set of CIDR ranges compiled once, matched per request in O(number of
// distinct prefix lengths) (at most 33 for IPv4, 129 for IPv6).
// Memory: one Set entry per range. Not a radix tree: lists here are small.
import { normalizeIp, parseIPv4, parseIPv6 } from './ip.js';

export interface CidrSet {
  has(ip: string): boolean;
  readonly size: number;
}

/** Parses one CIDR ("10.0.0.0/8", "::1", "2001:db8::/32"); returns an error message or null. */
export function checkCidr(text: string): string | null {
  return parseCidr(text) ? null : `not an IP address or CIDR range: ${JSON.stringify(text)}`;
}

interface Parsed {
  v6: boolean;
  bits: number;
  key: string | number;
}

/** The network of `ip` at prefix length `bits` (IPv4 as uint32). */
export function maskV4(ip: number, bits: number): number {
  return bits === 0 ? 0 : (ip & (0xffffffff << (32 - bits))) >>> 0;
}

/** The network of an IPv6 address (four uint32 words) at prefix length `bits`, as "w0:w1:w2:w3" in hex words. */
export function keyV6(w: Uint32Array, bits: number): string {
  let out = '';
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    const m = keep === 0 ? 0 : keep === 32 ? w[i] : (w[i] & (0xffffffff << (32 - keep))) >>> 0;
    out += (i ? ':' : '') + m.toString(16);
  }
  return out;
}

function parseCidr(text: string): Parsed | null {
  const slash = text.indexOf('/');
  const addr = normalizeIp(slash >= 0 ? text.slice(0, slash) : text);
  const bitsText = slash >= 0 ? text.slice(slash + 1) : '';
  if (slash >= 0 && !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    const bits = slash >= 0 ? Number(bitsText) : 32;
    if (bits > 32) return null;
    return { v6: false, bits, key: maskV4(v4, bits) };
  }
  const w = parseIPv6(addr);
  if (!w) return null;
  const bits = slash >= 0 ? Number(bitsText) : 128;
  if (bits > 128) return null;
  return { v6: true, bits, key: keyV6(w, bits) };
}

export function compileCidrSet(list: readonly string[]): CidrSet {
  const v4 = new Map<number, Set<number>>();
  const v6 = new Map<number, Set<string>>();
  for (const text of list) {
    const p = parseCidr(text.trim());
    if (!p) throw new TypeError(`not an IP address or CIDR range: ${JSON.stringify(text)}`);
    if (p.v6) {
      let s = v6.get(p.bits);
      if (!s) v6.set(p.bits, (s = new Set()));
      s.add(p.key as string);
    } else {
      let s = v4.get(p.bits);
      if (!s) v4.set(p.bits, (s = new Set()));
      s.add(p.key as number);
    }
  }
  const v4Bits = [...v4.keys()].sort((a, b) => b - a);
  const v4Sets = v4Bits.map((b) => v4.get(b)!);
  const v6Bits = [...v6.keys()].sort((a, b) => b - a);
  const v6Sets = v6Bits.map((b) => v6.get(b)!);
  return {
    size: list.length,
    has(ip: string): boolean {
      const a = normalizeIp(ip);
      const n = parseIPv4(a);
      if (n >= 0) {
        for (let i = 0; i < v4Bits.length; i++) if (v4Sets[i].has(maskV4(n, v4Bits[i]))) return true;
        return false;
      }
      if (v6Bits.length === 0) return false;
      const w = parseIPv6(a);
      if (!w) return false;
      for (let i = 0; i < v6Bits.length; i++) if (v6Sets[i].has(keyV6(w, v6Bits[i]))) return true;
      return false;
    },
  };
}
