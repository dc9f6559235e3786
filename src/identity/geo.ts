// Country and ASN of client addresses from offline databases, loaded once at
// start as compiled IPv4 range tables (country from a MaxMind-format mmdb,
// ~2 MB; ASN ~4.7 MB), checked at start and read at the first lookup (an
// idle process holds neither); the mmdb itself (7.5 MB) is read only when the
// first IPv6 client needs it. The identity stage calls fill(ctx): at most one
// database lookup per client key,
// then a bounded LRU (cache_size × ~40 B; country and ASN packed in one double).
// Not attribution of an attack: where an address sits is not who sent it.
import { createRequire } from 'node:module';
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { StartupError } from '../core/errors.js';
import { parseIPv4 } from '../core/ip.js';
import { createLru, lruBytes, type Lru } from '../core/lru.js';
import { namesFileOf, openAsnTable, type AsnTable } from './geo-asn.js';
import { countryIndex, openCountryTable, type CountryTable } from './geo-country.js';
import { compileOutside } from './geo-compile.js';

export interface GeoOptions {
  countryDb: string;
  asnDb: string;
  cacheSize: number;
  /** Where a CSV ASN database is compiled to (data_dir/geo). */
  cacheDir: string;
}

export interface GeoInfo {
  countryDb: string;
  asnDb: string;
  asnRanges: number;
  /** ASN → organisation names beside the compiled table (for reports), '' when absent. */
  asnNamesFile: string;
  /** Resident bytes of the loaded data and the cache ceiling. */
  bytes: { country: number; asn: number; cache: number };
  /** Attribution lines for reports and the dashboard. */
  licences: string[];
}

export interface Geo {
  /** Fills ctx.country / ctx.asn from ctx.clientIp (cached by ctx.clientKey). */
  fill(ctx: { clientIp: string; clientKey: number; country: string; asn: number; startedAt: number }): void;
  country(ip: string): string;
  asn(ip: string): number;
  info(): GeoInfo;
}

const require = createRequire(import.meta.url);
export const BUNDLED_LICENCES = [
  'Country data: geo-whois-asn-country by ip-location-db (sapics), CC BY 4.0, from NRO/RIR whois data and ASN data.',
  'ASN data: ip-location-db asn, CC BY 4.0, from RouteViews, DB-IP (https://db-ip.com) and NRO.',
];

export function bundledCountryDb(): string {
  return join(
    dirname(require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json')),
    'geo-whois-asn-country.mmdb',
  );
}

export function bundledAsnCsv(): string {
  return join(dirname(require.resolve('@ip-location-db/asn/package.json')), 'asn-ipv4-num.csv');
}

/**
 * Where the bundled ASN CSV is compiled: once per install, in the package
 * manager's build cache (node_modules/.cache/rampart), shared by every
 * data_dir; `fallbackDir` (data_dir/geo) when that is not writable.
 */
export function bundledAsnCache(fallbackDir: string): string {
  try {
    const dir = join(dirname(require.resolve('@ip-location-db/asn/package.json')), '..', '..', '.cache', 'rampart');
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return join(dir, 'asn-ipv4.bin');
  } catch {
    return join(fallbackDir, 'asn-ipv4.bin');
  }
}

export { countryIndex };

const CODES: string[] = [''];
for (let a = 0; a < 26; a++) for (let b = 0; b < 26; b++) CODES.push(String.fromCharCode(65 + a, 65 + b));
export function countryCode(i: number): string {
  return CODES[i] ?? '';
}

type MmdbReader = { get(ip: string): { country_code?: string; country?: { iso_code?: string } } | null };

/** IPv6 clients only: the whole mmdb, read at the first one. */
class Ipv6Countries {
  /** Null until the first IPv6 client; false if the file became unreadable. */
  private reader: MmdbReader | null | false = null;
  bytes = 0;

  constructor(private readonly file: string) {}

  country(ip: string): string {
    try {
      const r = this.open()?.get(ip);
      return (r?.country_code ?? r?.country?.iso_code ?? '').toUpperCase();
    } catch {
      return '';
    }
  }

  private open(): MmdbReader | null {
    if (this.reader === null) {
      try {
        const buf = readFileSync(this.file);
        this.bytes = buf.length;
        // maxmind is loaded here (and when a table is compiled), not by every process that imports geo.
        const { Reader } = require('maxmind') as typeof import('maxmind');
        this.reader = new Reader(buf) as unknown as MmdbReader;
      } catch {
        this.reader = false;
      }
    }
    return this.reader === false ? null : this.reader;
  }
}

function checkExists(countryDb: string, asnDb: string): void {
  for (const [key, file] of [
    ['country_db', countryDb],
    ['asn_db', asnDb],
  ]) {
    if (!existsSync(file))
      throw new StartupError(
        'E_GEO_DB',
        `geo.${key}: ${file} does not exist`,
        'point it at a readable file, leave it empty for the bundled data, or set geo.enabled: false',
      );
  }
}

function openCountries(o: GeoOptions, countryDb: string): CountryTable {
  try {
    // The bundled database compiles once per install (beside the ASN table); an operator's, once per file and version.
    const cacheBin =
      o.countryDb === ''
        ? join(dirname(bundledAsnCache(o.cacheDir)), 'country-ipv4.bin')
        : join(o.cacheDir, `country-ipv4-${createHash('sha1').update(countryDb).digest('hex').slice(0, 12)}.bin`);
    compileOutside('country', countryDb, cacheBin);
    return openCountryTable(countryDb, cacheBin, countryIndex, true);
  } catch (err) {
    throw new StartupError(
      'E_GEO_DB',
      `geo.country_db: cannot read ${countryDb}: ${(err as Error).message}`,
      'a MaxMind-format (.mmdb) country database',
      { cause: err },
    );
  }
}

function openAsns(o: GeoOptions, asnDb: string): { table: AsnTable; bin: string } {
  try {
    const asnBin = o.asnDb === '' ? bundledAsnCache(o.cacheDir) : join(o.cacheDir, 'asn-ipv4.bin');
    if (!asnDb.endsWith('.bin')) compileOutside('asn', asnDb, asnBin);
    return openAsnTable(asnDb, asnBin, true);
  } catch (err) {
    throw new StartupError(
      'E_GEO_DB',
      `geo.asn_db: cannot load ${asnDb}: ${(err as Error).message}`,
      'CSV rows start,end,asn[,org] or a compiled .bin',
      { cause: err },
    );
  }
}

function licencesOf(o: GeoOptions): string[] {
  if (o.countryDb === '' && o.asnDb === '') return BUNDLED_LICENCES;
  return [
    'Operator-supplied geo databases: see their own licences.',
    ...(o.countryDb ? [] : [BUNDLED_LICENCES[0]]),
    ...(o.asnDb ? [] : [BUNDLED_LICENCES[1]]),
  ];
}

class GeoTables implements Geo {
  private readonly countries: CountryTable;
  private readonly ipv6: Ipv6Countries;
  private readonly asns: AsnTable;
  private readonly asnBin: string;
  /** Client key → asn × 1024 + country index, for an hour. */
  private readonly lru: Lru;

  constructor(
    private readonly options: GeoOptions,
    private readonly countryDb: string,
    private readonly asnDb: string,
  ) {
    checkExists(countryDb, asnDb);
    this.countries = openCountries(options, countryDb);
    this.ipv6 = new Ipv6Countries(countryDb);
    const asns = openAsns(options, asnDb);
    this.asns = asns.table;
    this.asnBin = asns.bin;
    this.lru = createLru(options.cacheSize);
  }

  country(ip: string): string {
    const n = parseIPv4(ip);
    return n >= 0 ? CODES[this.countries.lookup(n)] : this.ipv6.country(ip);
  }

  asn(ip: string): number {
    const n = parseIPv4(ip);
    return n < 0 ? 0 : this.asns.lookup(n);
  }

  fill(ctx: { clientIp: string; clientKey: number; country: string; asn: number; startedAt: number }): void {
    const now = ctx.startedAt;
    const slot = this.lru.find(ctx.clientKey, now);
    let packed: number;
    if (slot !== 0) packed = this.lru.values[slot];
    else {
      packed = this.asn(ctx.clientIp) * 1024 + countryIndex(this.country(ctx.clientIp));
      this.lru.set(ctx.clientKey, packed, now, now + 3600_000);
    }
    ctx.country = CODES[packed % 1024];
    ctx.asn = Math.floor(packed / 1024);
  }

  info(): GeoInfo {
    const names = namesFileOf(this.asnBin);
    return {
      countryDb: this.countryDb,
      asnDb: this.asnDb,
      asnRanges: this.asns.ranges,
      asnNamesFile: existsSync(names) ? names : '',
      bytes: {
        country: this.countries.bytes + this.ipv6.bytes,
        asn: this.asns.bytes,
        cache: lruBytes(this.options.cacheSize),
      },
      licences: licencesOf(this.options),
    };
  }
}

export function createGeo(o: GeoOptions): Geo {
  return new GeoTables(o, o.countryDb || bundledCountryDb(), o.asnDb || bundledAsnCsv());
}
