// Compiles a geo table (country IPv4 ranges from an mmdb, ASN ranges from a
// CSV) in a short-lived child process: once per install, or when the source
// is newer than the compiled file. The shield's own process then only reads
// the compact table; it never holds the parse (the bundled ASN CSV is ~30 MB
// of text, and V8 keeps the heap it grew for it: ~130 MiB more resident).
// If the child cannot do it, the caller compiles in-process as before.
// As a script: node geo-compile.js asn|country SOURCE BIN
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siblingEntry } from '../core/entry.js';
import { openAsnTable } from './geo-asn.js';
import { countryIndex, openCountryTable } from './geo-country.js';

function fresh(source: string, bin: string): boolean {
  return existsSync(bin) && statSync(bin).mtimeMs >= statSync(source).mtimeMs;
}

/** Makes `bin` from `source` in a child process unless it is already newer; never throws. */
export function compileOutside(kind: 'asn' | 'country', source: string, bin: string): void {
  try {
    if (!existsSync(source) || fresh(source, bin)) return;
    const e = siblingEntry(import.meta.url, 'geo-compile');
    spawnSync(process.execPath, [...e.execArgv, e.file, kind, source, bin], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 120_000,
    });
  } catch {
    // the caller compiles in-process
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [kind, source, bin] = process.argv.slice(2);
  if (kind === 'asn') openAsnTable(source, bin);
  else if (kind === 'country') openCountryTable(source, bin, countryIndex);
  else {
    console.error('usage: node geo-compile.js asn|country SOURCE BIN');
    process.exit(2);
  }
}
