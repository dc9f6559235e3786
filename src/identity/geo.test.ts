import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGeo, countryCode, countryIndex } from './geo.js';
import { compileAsnCsv, loadAsnBin, parseAsnCsv } from './geo-asn.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-geo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('country index round-trips every code; junk is 0', () => {
  for (const cc of ['AA', 'DE', 'ZZ', 'BR']) assert.equal(countryCode(countryIndex(cc)), cc);
  for (const bad of ['', 'D', 'de', 'DEU', '1A']) assert.equal(countryIndex(bad), 0);
});

test('ASN CSV: addresses or integers, sorted, adjacent ranges of one ASN merged, IPv6 rows skipped', () => {
  const p = parseAsnCsv(
    '1.0.1.0,1.0.1.255,200,"Two, Inc."\n1.0.0.0,1.0.0.255,100,One\n16777728,16777983,200,Two\n2001:db8::,2001:db8::ffff,300,Six\n',
  );
  assert.deepEqual([...p.starts], [16777216, 16777472]);
  assert.deepEqual([...p.ends], [16777471, 16777983]);
  assert.deepEqual([...p.asns], [100, 200]);
  assert.equal(p.names['200'], 'Two, Inc.');
  const csv = join(dir, 'asn.csv');
  writeFileSync(csv, '1.0.0.0,1.0.0.255,100,One\n8.8.8.0,8.8.8.255,15169,Google LLC\n');
  const t = compileAsnCsv(csv, join(dir, 'asn.bin'));
  assert.equal(t.lookup(0x08080808), 15169);
  assert.equal(t.lookup(0x08080900), 0);
  assert.equal(loadAsnBin(join(dir, 'asn.bin')).lookup(0x01000001), 100);
  assert.ok(existsSync(join(dir, 'asn.names.json')));
});

test('bundled databases: known addresses, private and IPv6, cached per client key', () => {
  const geo = createGeo({ countryDb: '', asnDb: '', cacheSize: 256, cacheDir: join(dir, 'bundled') });
  assert.equal(geo.country('8.8.8.8'), 'US');
  assert.equal(geo.asn('8.8.8.8'), 15169);
  assert.equal(geo.country('10.1.2.3'), '');
  assert.equal(geo.asn('10.1.2.3'), 0);
  assert.equal(geo.asn('2001:4860::8888'), 0); // ASN table is IPv4 only
  assert.equal(geo.country('not an ip'), '');
  const ctx = { clientIp: '8.8.8.8', clientKey: 0x08080808, country: '', asn: 0, startedAt: 1000 };
  geo.fill(ctx);
  assert.deepEqual([ctx.country, ctx.asn], ['US', 15169]);
  // Cached by key: the same key answers from the LRU even if the address text differs.
  const again = { ...ctx, clientIp: '1.1.1.1', country: '', asn: 0 };
  geo.fill(again);
  assert.deepEqual([again.country, again.asn], ['US', 15169]);
  const info = geo.info();
  assert.ok(info.asnRanges > 100_000);
  assert.ok(info.licences.some((l) => /CC BY 4\.0/.test(l)));
});

test('operator files: a custom ASN CSV is used; a missing file is a clear startup error', () => {
  const csv = join(dir, 'mine.csv');
  writeFileSync(csv, '8.8.8.0,8.8.8.255,64500,Example\n');
  const geo = createGeo({ countryDb: '', asnDb: csv, cacheSize: 256, cacheDir: join(dir, 'mine') });
  assert.equal(geo.asn('8.8.8.8'), 64500);
  assert.match(geo.info().licences[0], /Operator-supplied/);
  assert.throws(
    () => createGeo({ countryDb: join(dir, 'nope.mmdb'), asnDb: '', cacheSize: 256, cacheDir: dir }),
    /geo\.country_db: .*nope\.mmdb does not exist/,
  );
  writeFileSync(join(dir, 'bad.mmdb'), 'not a database');
  assert.throws(
    () => createGeo({ countryDb: join(dir, 'bad.mmdb'), asnDb: '', cacheSize: 256, cacheDir: dir }),
    /cannot read/,
  );
});

test('compiled country table: the same country as the mmdb for sampled IPv4 addresses, and the cached table reloads alike', async () => {
  const { readFileSync } = await import('node:fs');
  const { Reader } = await import('maxmind');
  const { bundledCountryDb } = await import('./geo.js');
  const { compileCountryRanges, countryTableOf, openCountryTable } = await import('./geo-country.js');
  const db = readFileSync(bundledCountryDb());
  const mmdb = new Reader(db) as unknown as { get(ip: string): { country_code?: string } | null };
  const { starts, codes } = compileCountryRanges(db, countryIndex);
  const table = countryTableOf(starts, codes);
  for (let i = 1; i < starts.length; i++) assert.ok(starts[i] > starts[i - 1], 'ranges sorted, no duplicates');
  let seed = 12345;
  let differ = 0;
  let named = 0;
  for (let i = 0; i < 20_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const ip = `${seed >>> 24}.${(seed >>> 16) & 255}.${(seed >>> 8) & 255}.${seed & 255}`;
    const want = (mmdb.get(ip)?.country_code ?? '').toUpperCase();
    if (want !== '') named++;
    if (countryCode(table.lookup(seed)) !== want) differ++;
  }
  assert.equal(differ, 0);
  assert.ok(named > 10_000, `most public addresses have a country (${named})`);
  const bin = join(dir, 'country.bin');
  openCountryTable(bundledCountryDb(), bin, countryIndex);
  const again = openCountryTable(bundledCountryDb(), bin, countryIndex);
  assert.equal(again.ranges, table.ranges);
  assert.equal(countryCode(again.lookup(0x08080808)), 'US');
});

test('geo tables are checked at start and read at the first lookup (an idle process holds neither)', () => {
  const geo = createGeo({ countryDb: '', asnDb: '', cacheSize: 256, cacheDir: join(dir, 'lazy') });
  geo.country('8.8.8.8'); // compiles the caches if this install has none yet
  const again = createGeo({ countryDb: '', asnDb: '', cacheSize: 256, cacheDir: join(dir, 'lazy') });
  assert.deepEqual([again.info().bytes.country, again.info().bytes.asn], [0, 0]);
  assert.ok(again.info().asnRanges > 100_000, "the ASN table's size is known from its header");
  assert.equal(again.asn('8.8.8.8'), 15169);
  assert.equal(again.country('8.8.8.8'), 'US');
  assert.ok(again.info().bytes.country > 1_000_000 && again.info().bytes.asn > 1_000_000);
});
