// Bans and deny-list entries as the disjoint address ranges an nftables
// interval set accepts (overlapping elements are refused by the kernel): each
// piece carries the latest expiry of the entries covering it, and the allow
// list is cut out so that an allow-listed address never enters the set (a
// CIDR ban around it becomes the ranges on either side). Pure; runs on a
// change of the bans and at each reconcile, never per request:
// O(n log n) in the number of entries, BigInt arithmetic (IPv6 is 128 bits).
import { normalizeIp, parseIPv4, parseIPv6 } from '../core/ip.js';

export interface AddrRange {
  v6: boolean;
  lo: bigint;
  hi: bigint;
}

/** A range of a set element with its expiry (ms since the epoch; Infinity: no timeout). */
export interface Span extends AddrRange {
  until: number;
}

function toBig(w: Uint32Array): bigint {
  return (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
}

/** An address or CIDR as a range, or null when it is neither. */
export function rangeOf(target: string): AddrRange | null {
  const slash = target.indexOf('/');
  const addr = normalizeIp(slash >= 0 ? target.slice(0, slash) : target);
  const bitsText = slash >= 0 ? target.slice(slash + 1) : '';
  if (slash >= 0 && !/^\d{1,3}$/.test(bitsText)) return null;
  const v4 = parseIPv4(addr);
  let width: number;
  let base: bigint;
  if (v4 >= 0) {
    width = 32;
    base = BigInt(v4);
  } else {
    const w = parseIPv6(addr);
    if (w === null) return null;
    width = 128;
    base = toBig(w);
  }
  const bits = slash >= 0 ? Number(bitsText) : width;
  if (bits > width) return null;
  const host = (1n << BigInt(width - bits)) - 1n;
  const lo = base & ~host & ((1n << BigInt(width)) - 1n);
  return { v6: width === 128, lo, hi: lo | host };
}

/** The text nft reads: one address, or "lo-hi". */
export function formatRange(r: AddrRange): string {
  const one = (x: bigint) => (r.v6 ? formatV6(x) : formatV4(x));
  return r.lo === r.hi ? one(r.lo) : `${one(r.lo)}-${one(r.hi)}`;
}

function formatV4(x: bigint): string {
  const n = Number(x);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(x: bigint): string {
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(((x >> BigInt(i * 16)) & 0xffffn).toString(16));
  return g.join(':');
}

/** Merges ranges of one family into sorted, disjoint, non-adjacent ranges. */
function mergeRanges(rs: readonly AddrRange[]): AddrRange[] {
  const s = [...rs].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  const out: AddrRange[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last !== undefined && r.lo <= last.hi + 1n) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else out.push({ v6: r.v6, lo: r.lo, hi: r.hi });
  }
  return out;
}

/** Disjoint pieces of one family's spans, each with the latest expiry covering it; adjacent pieces of one expiry merged. */
function flatten(spans: readonly Span[]): Span[] {
  if (spans.length === 0) return [];
  const v6 = spans[0].v6;
  const points = new Set<bigint>();
  for (const s of spans) {
    points.add(s.lo);
    points.add(s.hi + 1n);
  }
  const pts = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byLo = [...spans].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0));
  // A max-heap of the spans covering the current point, by expiry; spans that ended are dropped lazily.
  const heap: Span[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p].until >= heap[i].until) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l].until > heap[m].until) m = l;
      if (r < heap.length && heap[r].until > heap[m].until) m = r;
      if (m === i) return;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  };
  const out: Span[] = [];
  let next = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i];
    while (next < byLo.length && byLo[next].lo <= a) {
      heap.push(byLo[next++]);
      up(heap.length - 1);
    }
    while (heap.length > 0 && heap[0].hi < a) {
      heap[0] = heap[heap.length - 1];
      heap.pop();
      if (heap.length > 0) down(0);
    }
    if (heap.length === 0) continue;
    const until = heap[0].until;
    const hi = pts[i + 1] - 1n;
    const last = out[out.length - 1];
    if (last !== undefined && last.until === until && last.hi + 1n === a) last.hi = hi;
    else out.push({ v6, lo: a, hi, until });
  }
  return out;
}

/** `spans` minus the (merged, sorted) `holes`. */
function subtract(spans: Span[], holes: AddrRange[]): Span[] {
  if (holes.length === 0) return spans;
  const out: Span[] = [];
  for (const s of spans) {
    let lo = s.lo;
    for (const h of holes) {
      if (h.hi < lo || h.lo > s.hi) continue;
      if (h.lo > lo) out.push({ v6: s.v6, lo, hi: h.lo - 1n, until: s.until });
      lo = h.hi + 1n;
      if (lo > s.hi) break;
    }
    if (lo <= s.hi) out.push({ v6: s.v6, lo, hi: s.hi, until: s.until });
  }
  return out;
}

export interface Entry {
  target: string;
  /** ms since the epoch; Infinity for the deny list. */
  until: number;
}

/**
 * The set's elements for these entries: IPv4 and IPv6 apart, disjoint, the
 * allow list cut out. Entries that are not addresses/CIDRs, or already
 * expired at `now`, are left out.
 */
export function setElements(
  entries: readonly Entry[],
  allow: readonly string[],
  now: number,
): { v4: Span[]; v6: Span[] } {
  const v4: Span[] = [];
  const v6: Span[] = [];
  for (const e of entries) {
    if (!(e.until > now)) continue;
    const r = rangeOf(e.target);
    if (r === null) continue;
    (r.v6 ? v6 : v4).push({ ...r, until: e.until });
  }
  const holes = allow.map(rangeOf).filter((r): r is AddrRange => r !== null);
  return {
    v4: subtract(flatten(v4), mergeRanges(holes.filter((h) => !h.v6))),
    v6: subtract(flatten(v6), mergeRanges(holes.filter((h) => h.v6))),
  };
}
