// The ASN range table: IPv4 ranges sorted by start, one binary search per
// lookup. Compiled once from a CSV (`start,end,asn[,org]`, addresses or
// integers, e.g. @ip-location-db/asn) into a compact file (adjacent ranges of
// one ASN merged): 12 bytes a range, ~3.5 MB for the bundled data. IPv6 is not
// covered (the country database is). Org names go to a side file for reports.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseIPv4 } from '../core/ip.js';
import { binRows, lazyTable } from './geo-country.js';
import { lastStartAtOrBelow } from './range-search.js';

const MAGIC = 0x4e534152; // "RASN"

export interface AsnTable {
  readonly ranges: number;
  readonly bytes: number;
  /** ASN of an IPv4 address as uint32, or 0. O(log ranges), no allocation. */
  lookup(ip: number): number;
}

export function tableOf(starts: Uint32Array, ends: Uint32Array, asns: Uint32Array): AsnTable {
  const n = starts.length;
  return {
    ranges: n,
    bytes: starts.byteLength * 3,
    lookup(ip) {
      const hi = lastStartAtOrBelow(starts, ip);
      return hi >= 0 && ends[hi] >= ip ? asns[hi] : 0;
    },
  };
}

function num(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  return parseIPv4(s);
}

/** Parses CSV text into merged, sorted ranges and an ASN → organisation map. */
export function parseAsnCsv(text: string): {
  starts: Uint32Array;
  ends: Uint32Array;
  asns: Uint32Array;
  names: Record<string, string>;
} {
  const rows: [number, number, number][] = [];
  const names: Record<string, string> = {};
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const c1 = line.indexOf(',');
    const c2 = line.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0) continue;
    const c3 = line.indexOf(',', c2 + 1);
    const a = num(line.slice(0, c1));
    const b = num(line.slice(c1 + 1, c2));
    const asn = Number(line.slice(c2 + 1, c3 < 0 ? undefined : c3));
    if (!(a >= 0 && b >= a && b <= 0xffffffff && Number.isInteger(asn) && asn > 0)) continue; // IPv6 rows and junk
    rows.push([a, b, asn]);
    if (c3 > 0 && names[asn] === undefined)
      names[asn] = line
        .slice(c3 + 1)
        .replace(/^"|"$/g, '')
        .replace(/""/g, '"');
  }
  rows.sort((x, y) => x[0] - y[0]);
  const out: [number, number, number][] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last && last[2] === r[2] && last[1] + 1 >= r[0]) last[1] = Math.max(last[1], r[1]);
    else if (!last || r[0] > last[1]) out.push(r);
  }
  const starts = new Uint32Array(out.length);
  const ends = new Uint32Array(out.length);
  const asns = new Uint32Array(out.length);
  for (let i = 0; i < out.length; i++) [starts[i], ends[i], asns[i]] = out[i];
  return { starts, ends, asns, names };
}

/** Writes the compiled table (`.bin`) and the names beside it (`.names.json`). */
export function compileAsnCsv(csvFile: string, binFile: string): AsnTable {
  const p = parseAsnCsv(readFileSync(csvFile, 'utf8'));
  const n = p.starts.length;
  const buf = Buffer.alloc(8 + n * 12);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(n, 4);
  Buffer.from(p.starts.buffer).copy(buf, 8);
  Buffer.from(p.ends.buffer).copy(buf, 8 + n * 4);
  Buffer.from(p.asns.buffer).copy(buf, 8 + n * 8);
  mkdirSync(dirname(binFile), { recursive: true });
  // Written under a per-process name, then renamed: processes compiling at once never read half a file.
  const tmp = `${binFile}.${process.pid}.tmp`;
  writeFileSync(`${tmp}.names`, JSON.stringify(p.names));
  renameSync(`${tmp}.names`, namesFileOf(binFile));
  writeFileSync(tmp, buf);
  renameSync(tmp, binFile);
  return tableOf(p.starts, p.ends, p.asns);
}

export function namesFileOf(binFile: string): string {
  return `${binFile.replace(/\.bin$/, '')}.names.json`;
}

export function loadAsnBin(binFile: string): AsnTable {
  const buf = readFileSync(binFile);
  if (buf.length < 8 || buf.readUInt32LE(0) !== MAGIC) throw new Error(`${binFile} is not a compiled ASN table`);
  const n = buf.readUInt32LE(4);
  if (buf.length !== 8 + n * 12) throw new Error(`${binFile} is truncated`);
  // Views on the file's own bytes (one allocation, no copy) when aligned, as a fresh read is.
  const copy = (off: number) =>
    (buf.byteOffset + off) % 4 === 0
      ? new Uint32Array(buf.buffer, buf.byteOffset + off, n)
      : new Uint32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + n * 4));
  return tableOf(copy(8), copy(8 + n * 4), copy(8 + n * 8));
}

/** Loads `.bin` directly; for a CSV, compiles it into `cacheBin` first unless that is newer than the CSV. */
export function openAsnTable(file: string, cacheBin: string, lazy = false): { table: AsnTable; bin: string } {
  const open = (bin: string): AsnTable =>
    lazy ? lazyTable(binRows(bin, MAGIC, 12), () => loadAsnBin(bin)) : loadAsnBin(bin);
  if (file.endsWith('.bin')) return { table: open(file), bin: file };
  if (existsSync(cacheBin) && statSync(cacheBin).mtimeMs >= statSync(file).mtimeMs) {
    try {
      return { table: open(cacheBin), bin: cacheBin };
    } catch {
      // a damaged cache is rebuilt below
    }
  }
  return { table: compileAsnCsv(file, cacheBin), bin: cacheBin };
}
