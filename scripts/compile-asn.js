#!/usr/bin/env node
// Compiles the bundled @ip-location-db/asn IPv4 CSV (or FILE.csv) into the
// compact range table Rampart loads (default data/geo/asn-ipv4.bin). Rampart
// also does this by itself at first start; this is for images built offline.
// Usage: node --import tsx scripts/compile-asn.js [FILE.csv] [OUT.bin]
import { compileAsnCsv } from '../src/identity/geo-asn.ts';
import { bundledAsnCsv } from '../src/identity/geo.ts';

const csv = process.argv[2] || bundledAsnCsv();
const out = process.argv[3] ?? 'data/geo/asn-ipv4.bin';
const t = Date.now();
const table = compileAsnCsv(csv, out);
console.log(`${out}: ${table.ranges} ranges, ${(table.bytes / 1048576).toFixed(1)} MiB, ${Date.now() - t} ms`);
