// The country of IPv4 addresses as a compact range table, compiled once from
// the IPv4 part of a MaxMind-format (mmdb) database: sorted range starts
// (uint32) and a country index per range (uint16, 0 = none; gaps are rows of
// their own), 6 bytes a range, ~2 MB for the bundled data instead of the
// whole 7.5 MB database in every process. One binary search per lookup, no
// allocation. IPv6 addresses still need the mmdb itself (geo.ts opens it on
// the first IPv6 client only). Cached beside the compiled ASN table.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { lastStartAtOrBelow } from './range-search.js';

const require = createRequire(import.meta.url);

const MAGIC = 0x4e434352; // "RCCN"

/** 'DE' → 1..676, '' → 0. */
export function countryIndex(cc: string): number {
  if (cc.length !== 2) return 0;
  const a = cc.charCodeAt(0) - 65;
  const b = cc.charCodeAt(1) - 65;
  return a >= 0 && a < 26 && b >= 0 && b < 26 ? a * 26 + b + 1 : 0;
}

export interface CountryTable {
  readonly ranges: number;
  readonly bytes: number;
  /** Country index (1..676, see countryIndex) of an IPv4 address as uint32, or 0. */
  lookup(ip: number): number;
}

export function countryTableOf(starts: Uint32Array, codes: Uint16Array): CountryTable {
  const n = starts.length;
  return {
    ranges: n,
    bytes: starts.byteLength + codes.byteLength,
    lookup(ip) {
      const hi = lastStartAtOrBelow(starts, ip);
      return hi >= 0 ? codes[hi] : 0;
    },
  };
}

/** mmdb-lib's reader internals used to walk the search tree (stable across its 2.x/3.x releases). */
interface TreeReader {
  metadata: { nodeCount: number; nodeByteSize: number; ipVersion: number };
  ipv4StartNodeNumber: number;
  walker: { left(offset: number): number; right(offset: number): number };
  resolveDataPointer(pointer: number): { country_code?: string; country?: { iso_code?: string } } | null;
}

/**
 * Walks the IPv4 subtree of an mmdb (depth-first, so ranges come out sorted)
 * and returns its ranges, adjacent ranges of one country merged. `index`
 * turns a country code into the table's index.
 */
export function compileCountryRanges(
  db: Buffer,
  index: (cc: string) => number,
): { starts: Uint32Array; codes: Uint16Array } {
  const { Reader } = require('maxmind') as typeof import('maxmind');
  const r = new Reader(db) as unknown as TreeReader;
  const { nodeCount, nodeByteSize, ipVersion } = r.metadata;
  const byPointer = new Map<number, number>();
  const starts: number[] = [];
  const codes: number[] = [];
  const emit = (start: number, code: number): void => {
    if (codes.length > 0 && codes[codes.length - 1] === code) return;
    starts.push(start);
    codes.push(code);
  };
  const walk = (node: number, depth: number, prefix: number): void => {
    if (node >= nodeCount) {
      let code = 0;
      if (node > nodeCount) {
        code = byPointer.get(node) ?? -1;
        if (code < 0) {
          const v = r.resolveDataPointer(node);
          code = index((v?.country_code ?? v?.country?.iso_code ?? '').toUpperCase());
          byPointer.set(node, code);
        }
      }
      emit(prefix, code);
      return;
    }
    if (depth === 32) {
      emit(prefix, 0);
      return;
    }
    const offset = node * nodeByteSize;
    walk(r.walker.left(offset), depth + 1, prefix);
    walk(r.walker.right(offset), depth + 1, (prefix + 2 ** (31 - depth)) >>> 0);
  };
  walk(ipVersion === 6 ? r.ipv4StartNodeNumber : 0, 0, 0);
  return { starts: Uint32Array.from(starts), codes: Uint16Array.from(codes) };
}

function write(binFile: string, starts: Uint32Array, codes: Uint16Array): void {
  const n = starts.length;
  const buf = Buffer.alloc(8 + n * 6);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(n, 4);
  Buffer.from(starts.buffer, starts.byteOffset, n * 4).copy(buf, 8);
  Buffer.from(codes.buffer, codes.byteOffset, n * 2).copy(buf, 8 + n * 4);
  mkdirSync(dirname(binFile), { recursive: true });
  // Written under a per-process name, then renamed: processes compiling at once never read half a file.
  const tmp = `${binFile}.${process.pid}.tmp`;
  writeFileSync(tmp, buf);
  renameSync(tmp, binFile);
}

export function loadCountryBin(binFile: string): CountryTable {
  const buf = readFileSync(binFile);
  if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new Error(`${binFile} is not a compiled country table`);
  const n = buf.readUInt32LE(4);
  if (buf.length !== 8 + n * 6) throw new Error(`${binFile} is truncated`);
  // Views on the file's own bytes (one allocation, no copy) when aligned, as a fresh read is.
  const aligned = buf.byteOffset % 4 === 0;
  const starts = aligned
    ? new Uint32Array(buf.buffer, buf.byteOffset + 8, n)
    : new Uint32Array(buf.buffer.slice(buf.byteOffset + 8, buf.byteOffset + 8 + n * 4));
  const codes = aligned
    ? new Uint16Array(buf.buffer, buf.byteOffset + 8 + n * 4, n)
    : new Uint16Array(buf.buffer.slice(buf.byteOffset + 8 + n * 4, buf.byteOffset + 8 + n * 6));
  return countryTableOf(starts, codes);
}

/** Rows of a compiled table file, from its header alone; throws when the header or the size is wrong. */
export function binRows(binFile: string, magic: number, rowBytes: number): number {
  const fd = openSync(binFile, 'r');
  try {
    const head = Buffer.alloc(8);
    if (readSync(fd, head, 0, 8, 0) !== 8 || head.readUInt32LE(0) !== magic)
      throw new Error(`${binFile} is not a compiled table`);
    const n = head.readUInt32LE(4);
    if (fstatSync(fd).size !== 8 + n * rowBytes) throw new Error(`${binFile} is truncated`);
    return n;
  } finally {
    closeSync(fd);
  }
}

/**
 * A table checked now (header and size) and read at its first lookup:
 * memory that follows use. `bytes` is what is resident (0 until then).
 */
export function lazyTable<T extends { lookup(ip: number): number; readonly bytes: number }>(
  rows: number,
  load: () => T,
): { readonly ranges: number; readonly bytes: number; lookup(ip: number): number } {
  let t: T | null = null;
  return {
    ranges: rows,
    get bytes() {
      return t === null ? 0 : t.bytes;
    },
    lookup: (ip) => (t ??= load()).lookup(ip),
  };
}

/**
 * The compiled table of `mmdbFile`, from `cacheBin` when it is newer than the
 * mmdb (read at the first lookup when `lazy`), else compiled now (and cached
 * when writable).
 */
export function openCountryTable(
  mmdbFile: string,
  cacheBin: string,
  index: (cc: string) => number,
  lazy = false,
): CountryTable {
  if (existsSync(cacheBin) && statSync(cacheBin).mtimeMs >= statSync(mmdbFile).mtimeMs) {
    try {
      return lazy ? lazyTable(binRows(cacheBin, MAGIC, 6), () => loadCountryBin(cacheBin)) : loadCountryBin(cacheBin);
    } catch {
      // a damaged cache is rebuilt below
    }
  }
  const { starts, codes } = compileCountryRanges(readFileSync(mmdbFile), index);
  try {
    write(cacheBin, starts, codes);
  } catch {
    // not writable: this process keeps its compiled copy
  }
  return countryTableOf(starts, codes);
}
