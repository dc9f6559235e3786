// Lookup structure for bans: an exact-address map (IPv4 as uint32 keys,
// IPv6 as canonical strings) plus CIDR maps per prefix length, longest first.
// isBanned: O(1) for exact IPv4, O(distinct CIDR lengths) ≤ 33 / 129 otherwise;
// no allocation for IPv4. Memory: one Map entry per ban; the cap lives in ban-table.ts.
import type { Ban } from '../core/model.js';
import { formatIPv4, normalizeIp, parseIPv4, parseIPv6 } from '../core/ip.js';
import { keyV6, maskV4 } from '../core/cidr-set.js';

/** A parsed ban target: `id` is canonical, so "10.0.0.1" and "10.0.0.1/32" are one ban. */
export interface BanTarget {
  readonly id: string;
  readonly v6: boolean;
  readonly bits: number;
  /** Masked network: uint32 for IPv4, canonical words string for IPv6. */
  readonly key: number | string;
}

/** Parses "203.0.113.7", "203.0.113.0/24", "2001:db8::/32"; null when it is none of these. */
export function parseBanTarget(text: string): BanTarget | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = normalizeIp(slash >= 0 ? t.slice(0, slash) : t);
  const bitsText = slash >= 0 ? t.slice(slash + 1) : '';
  if (slash >= 0 && !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = parseIPv4(addr);
  if (v4 >= 0) {
    const bits = slash >= 0 ? Number(bitsText) : 32;
    if (bits > 32) return null;
    const key = maskV4(v4, bits);
    return { id: bits === 32 ? formatIPv4(key) : `${formatIPv4(key)}/${bits}`, v6: false, bits, key };
  }
  const w = parseIPv6(addr);
  if (!w) return null;
  const bits = slash >= 0 ? Number(bitsText) : 128;
  if (bits > 128) return null;
  const key = keyV6(w, bits);
  return { id: `${key}/${bits}`, v6: true, bits, key };
}

/** Per-prefix-length maps, kept with a sorted list of lengths (longest first). */
class PrefixMaps<K> {
  readonly byBits = new Map<number, Map<K, Ban>>();
  bits: number[] = [];
  maps: Map<K, Ban>[] = [];

  set(bits: number, key: K, ban: Ban): void {
    let m = this.byBits.get(bits);
    if (!m) {
      this.byBits.set(bits, (m = new Map()));
      this.reindex();
    }
    m.set(key, ban);
  }

  delete(bits: number, key: K): void {
    const m = this.byBits.get(bits);
    if (!m?.delete(key)) return;
    if (m.size === 0) {
      this.byBits.delete(bits);
      this.reindex();
    }
  }

  clear(): void {
    this.byBits.clear();
    this.reindex();
  }

  private reindex(): void {
    this.bits = [...this.byBits.keys()].sort((a, b) => b - a);
    this.maps = this.bits.map((b) => this.byBits.get(b)!);
  }
}

export class BanIndex {
  private readonly exact4 = new Map<number, Ban>();
  private readonly exact6 = new Map<string, Ban>();
  private readonly cidr4 = new PrefixMaps<number>();
  private readonly cidr6 = new PrefixMaps<string>();
  private v6Count = 0;

  set(t: BanTarget, ban: Ban): void {
    if (!t.v6) {
      if (t.bits === 32) this.exact4.set(t.key as number, ban);
      else this.cidr4.set(t.bits, t.key as number, ban);
      return;
    }
    const had =
      t.bits === 128 ? this.exact6.has(t.key as string) : this.cidr6.byBits.get(t.bits)?.has(t.key as string) === true;
    if (t.bits === 128) this.exact6.set(t.key as string, ban);
    else this.cidr6.set(t.bits, t.key as string, ban);
    if (!had) this.v6Count++;
  }

  delete(t: BanTarget): void {
    if (!t.v6) {
      if (t.bits === 32) this.exact4.delete(t.key as number);
      else this.cidr4.delete(t.bits, t.key as number);
      return;
    }
    const had =
      t.bits === 128
        ? this.exact6.delete(t.key as string)
        : this.cidr6.byBits.get(t.bits)?.has(t.key as string) === true;
    if (t.bits !== 128) this.cidr6.delete(t.bits, t.key as string);
    if (had) this.v6Count--;
  }

  clear(): void {
    this.exact4.clear();
    this.exact6.clear();
    this.cidr4.clear();
    this.cidr6.clear();
    this.v6Count = 0;
  }

  /** The most specific ban covering `ip`, expired or not (the caller checks `until`). */
  find(ip: string): Ban | null {
    const a = normalizeIp(ip);
    const n = parseIPv4(a);
    if (n >= 0) {
      const hit = this.exact4.get(n);
      if (hit !== undefined) return hit;
      const { bits, maps } = this.cidr4;
      for (let i = 0; i < bits.length; i++) {
        const b = maps[i].get(maskV4(n, bits[i]));
        if (b !== undefined) return b;
      }
      return null;
    }
    if (this.v6Count === 0) return null;
    const w = parseIPv6(a);
    if (!w) return null;
    const hit = this.exact6.get(keyV6(w, 128));
    if (hit !== undefined) return hit;
    const { bits, maps } = this.cidr6;
    for (let i = 0; i < bits.length; i++) {
      const b = maps[i].get(keyV6(w, bits[i]));
      if (b !== undefined) return b;
    }
    return null;
  }
}
