// The drill's address plan: which loopback address each simulated client binds
// to (its TCP source, 127.0.0.0/8 only) and, with --xff, which public address
// it presents through X-Forwarded-For (a weighted list of CIDRs/addresses).
// Pure and deterministic: source i always gets the same addresses. Country/ASN
// selection can be layered on top by producing a `PublicPlan` from other data.
import { UsageError } from '../core/errors.js';
import { formatIPv4, parseIPv4 } from '../core/ip.js';
import { lowbias32 as mix } from '../core/hash.js';

/** Address pools inside 127.0.0.0/8 (second octet), kept apart so roles never share an address. */
export const POOLS = { legit: 10, attack: 100, control: 9, shared: 8 } as const;
export type Pool = keyof typeof POOLS;

/**
 * The loopback address of client `i` in a pool. Consecutive clients land in
 * different /24s first (third octet = i mod 256), so a botnet of 256 sources
 * spans 256 prefixes, as real botnets do; then the fourth octet advances.
 * Capacity: 16 second octets × 256 × 250 ≈ 1M clients per pool.
 */
export function loopbackSource(pool: Pool, i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= 16 * 256 * 250) throw new RangeError(`source index out of range: ${i}`);
  const third = i & 255;
  const fourth = 2 + (Math.floor(i / 256) % 250);
  const second = POOLS[pool] + Math.floor(i / (256 * 250));
  return `127.${second}.${third}.${fourth}`;
}

/**
 * People behind one campus or carrier NAT: `127.8.0.(2 + k)`, all in one /24
 * (k < 250). Used for newsletter readers who share a prefix.
 */
export function sharedPrefixSource(k: number): string {
  if (!Number.isInteger(k) || k < 0 || k >= 250) throw new RangeError(`shared-prefix index out of range: ${k}`);
  return `127.${POOLS.shared}.0.${2 + k}`;
}

/** One weighted range of public addresses (IPv4). */
interface Range {
  base: number;
  size: number;
  weight: number;
}

/** Maps a source index to the public address it presents. */
export interface PublicPlan {
  addressOf(i: number): string;
  describe(): string;
}

const LOOPBACK_OR_PRIVATE = (n: number) =>
  n >>> 24 === 127 || n >>> 24 === 10 || n >>> 24 === 0 || n >>> 20 === 0xac1 || n >>> 16 === 0xc0a8;

/**
 * Parses "203.0.113.0/24=3,198.51.100.7,192.0.2.0/25=1": CIDRs or addresses,
 * each with an optional weight (default 1). IPv4 only; errors name the bad item.
 */
export function parsePublicPlan(spec: string): PublicPlan {
  const ranges: Range[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const [net, w] = item.split('=');
    const weight = w === undefined ? 1 : Number(w);
    if (!Number.isFinite(weight) || weight <= 0)
      throw new UsageError(
        `--xff: bad weight in ${JSON.stringify(item)}`,
        'write CIDR=WEIGHT with a positive number, e.g. 203.0.113.0/24=3',
      );
    const [addr, bitsText] = net.split('/');
    const ip = parseIPv4(addr);
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (ip < 0 || !Number.isInteger(bits) || bits < 8 || bits > 32) {
      throw new UsageError(
        `--xff: not an IPv4 address or CIDR (/8 to /32): ${JSON.stringify(net)}`,
        'e.g. --xff 203.0.113.0/24=2,198.51.100.0/24',
      );
    }
    const size = 2 ** (32 - bits);
    const base = bits === 32 ? ip : (ip & (0xffffffff << (32 - bits))) >>> 0;
    if (LOOPBACK_OR_PRIVATE(base))
      throw new UsageError(
        `--xff: ${net} is loopback or private`,
        'present public addresses (documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 are fine)',
      );
    ranges.push({ base, size, weight });
  }
  if (ranges.length === 0)
    throw new UsageError('--xff: the list is empty', 'e.g. --xff 203.0.113.0/24=2,198.51.100.0/24');
  return planOf(ranges);
}

function planOf(ranges: Range[]): PublicPlan {
  const total = ranges.reduce((s, r) => s + r.weight, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of ranges) cumulative.push((acc += r.weight / total));
  return {
    addressOf(i) {
      // A fixed hash of i picks the range (by weight) and the host inside it,
      // so the same source presents the same address for the whole drill.
      const h1 = mix(i * 2 + 1) / 2 ** 32;
      let k = 0;
      while (k < ranges.length - 1 && h1 >= cumulative[k]) k++;
      const r = ranges[k];
      const host = r.size <= 2 ? 0 : 1 + (mix(i * 2 + 2) % (r.size - 2)); // skip network and broadcast
      return formatIPv4((r.base + host) >>> 0);
    },
    describe: () => ranges.map((r) => `${formatIPv4(r.base)}/${32 - Math.log2(r.size)}×${r.weight}`).join(', '),
  };
}
