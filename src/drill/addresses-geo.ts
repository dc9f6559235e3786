// Address plans by country or ASN for `rampart drill --countries DE:40,BR:30`
// / `--asns AS3320:50,AS16509:50`: each source index gets a public IPv4 address
// inside the chosen country/ASN (read straight from the geo data packages: the
// country mmdb walked once, the ASN CSV scanned once; ~1 s at drill start).
// Shares are exact up to ~1/N: the group of index i follows the low-discrepancy
// sequence frac(i·φ), so any run of consecutive indexes splits by the weights.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Reader } from 'maxmind';
import { UsageError } from '../core/errors.js';
import { formatIPv4 } from '../core/ip.js';
import type { PublicPlan } from './addresses.js';
import { lowbias32 as mix } from '../core/hash.js';

export interface GeoPlan extends PublicPlan {
  /** The group (country code or ASxxxx) source i was placed in: the drill's ground truth. */
  groupOf(i: number): string;
}

interface Group {
  label: string;
  weight: number;
  starts: number[];
  sizes: number[];
  cumulative: number[];
}

const require = createRequire(import.meta.url);
const PHI = 0.6180339887498949;
const PRIVATE = (n: number) =>
  n >>> 24 === 127 ||
  n >>> 24 === 10 ||
  n >>> 24 === 0 ||
  n >>> 20 === 0xac1 ||
  n >>> 16 === 0xc0a8 ||
  n >>> 16 === 0xa9fe ||
  n >>> 22 === 0x191 ||
  n >>> 28 >= 14;

function parseSpec(flag: string, spec: string, key: RegExp, example: string): { label: string; weight: number }[] {
  const out: { label: string; weight: number }[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const [k, w] = item.split(':');
    const label = k.trim().toUpperCase();
    const weight = w === undefined ? 1 : Number(w);
    if (!key.test(label))
      throw new UsageError(`--${flag}: not a valid entry: ${JSON.stringify(item)}`, `e.g. --${flag} ${example}`);
    if (!Number.isFinite(weight) || weight <= 0)
      throw new UsageError(
        `--${flag}: bad weight in ${JSON.stringify(item)}`,
        `weights are positive numbers, e.g. ${example}`,
      );
    if (out.some((g) => g.label === label))
      throw new UsageError(`--${flag}: ${label} is listed twice`, `e.g. --${flag} ${example}`);
    out.push({ label, weight });
  }
  if (out.length === 0) throw new UsageError(`--${flag}: the list is empty`, `e.g. --${flag} ${example}`);
  return out;
}

function planOf(groups: Group[], flag: string): GeoPlan {
  for (const g of groups)
    if (g.starts.length === 0)
      throw new UsageError(
        `--${flag}: no public IPv4 range found for ${g.label} in the geo data`,
        'check the code (ISO 3166 country, e.g. DE; or an ASN like AS3320)',
      );
  const total = groups.reduce((s, g) => s + g.weight, 0);
  const cum: number[] = [];
  let acc = 0;
  for (const g of groups) cum.push((acc += g.weight / total));
  const groupIndex = (i: number) => {
    const u = ((i + 1) * PHI) % 1;
    let k = 0;
    while (k < groups.length - 1 && u >= cum[k]) k++;
    return k;
  };
  return {
    groupOf: (i) => groups[groupIndex(i)].label,
    addressOf(i) {
      const g = groups[groupIndex(i)];
      const u = mix(i * 2 + 1) / 2 ** 32;
      let lo = 0;
      let hi = g.cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (g.cumulative[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      const size = g.sizes[lo];
      return formatIPv4((g.starts[lo] + 1 + (mix(i * 2 + 2) % Math.max(1, size - 2))) >>> 0);
    },
    describe: () => groups.map((g) => `${g.label}×${g.weight} (${g.starts.length} ranges)`).join(', '),
  };
}

function finish(g: Group): Group {
  const total = g.sizes.reduce((a, b) => a + b, 0);
  let acc = 0;
  g.cumulative = g.sizes.map((s) => (acc += s / total));
  return g;
}

/** `DE:40,BR:30,RU:30`: addresses in those countries by the country mmdb (bundled, or `mmdbFile`). */
export function parseCountryPlan(spec: string, mmdbFile?: string): GeoPlan {
  const wanted = parseSpec('countries', spec, /^[A-Z]{2}$/, 'DE:40,BR:30,RU:30');
  const file =
    mmdbFile ??
    join(
      dirname(require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json')),
      'geo-whois-asn-country-ipv4.mmdb',
    );
  const reader = new Reader(readFileSync(file)) as unknown as {
    getWithPrefixLength(ip: string): [{ country_code?: string } | null, number];
  };
  const groups = new Map(
    wanted.map((w) => [w.label, { ...w, starts: [] as number[], sizes: [] as number[], cumulative: [] as number[] }]),
  );
  let ip = 1 << 24;
  while (ip < 224 * 2 ** 24) {
    const [rec, len] = reader.getWithPrefixLength(formatIPv4(ip));
    const size = 2 ** (32 - Math.max(len, 1));
    const g = rec?.country_code ? groups.get(rec.country_code) : undefined;
    if (g && size >= 256 && !PRIVATE(ip)) {
      g.starts.push(ip);
      g.sizes.push(size);
    }
    ip += size;
  }
  return planOf([...groups.values()].map(finish), 'countries');
}

/** `AS3320:50,AS16509:50`: addresses announced by those ASNs by the ASN CSV (bundled, or `csvFile` with start,end,asn rows as integers). */
export function parseAsnPlan(spec: string, csvFile?: string): GeoPlan {
  const wanted = parseSpec('asns', spec, /^AS\d{1,10}$/, 'AS3320:50,AS16509:50');
  const file = csvFile ?? join(dirname(require.resolve('@ip-location-db/asn/package.json')), 'asn-ipv4-num.csv');
  const groups = new Map(
    wanted.map((w) => [
      Number(w.label.slice(2)),
      { ...w, starts: [] as number[], sizes: [] as number[], cumulative: [] as number[] },
    ]),
  );
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [a, b, asn] = line.split(',', 3);
    const g = groups.get(Number(asn));
    if (!g) continue;
    const start = Number(a);
    const size = Number(b) - start + 1;
    if (size >= 256 && !PRIVATE(start)) {
      g.starts.push(start);
      g.sizes.push(size);
    }
  }
  return planOf([...groups.values()].map(finish), 'asns');
}
