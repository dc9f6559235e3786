// Micro-benchmarks of the cache's stores side by side (mitata): a lookup that
// hits and one that misses, in a process's memory (ByteStore) and in the
// machine's shared SQLite store of cluster workers (SharedStore), for a 1 KB
// and a 16 KB page; and a store (one write transaction) in the shared one.
// What one store per machine costs per cached request.
// Run: node --import tsx bench/micro/cache.bench.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { ByteStore, entrySize, type Entry, type Store } from '../../src/cache/store.js';
import { createSharedStores } from '../../src/cache/shared-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-cache-bench-'));
const stores: Array<[string, Store]> = [
  ['memory', new ByteStore(64 * 1024 * 1024)],
  ['shared', createSharedStores(join(dir, 'bench.sqlite'))(64 * 1024 * 1024)],
];

function entry(key: string, bytes: number, storedAt: number): Entry {
  const headers = [
    'content-type',
    'text/html; charset=utf-8',
    'cache-control',
    'public, max-age=60',
    'etag',
    '"abc123"',
    'content-length',
    String(bytes),
  ];
  const body = Buffer.alloc(bytes, 120);
  return {
    key,
    varyNames: null,
    varyValues: [],
    status: 200,
    headers,
    body,
    storedAt,
    ageAtStore: 0,
    freshMs: 3_600_000,
    swrMs: 0,
    staleMs: 3_600_000,
    size: entrySize(key, headers, body),
  };
}

const now = Date.now();
for (const [, s] of stores) {
  s.put(entry('GET http://www.example.org/1k', 1024, now), 0);
  s.put(entry('GET http://www.example.org/16k', 16 * 1024, now), 0);
}
const none = {};

summary(() => {
  for (const [name, s] of stores) {
    bench(`${name}: hit, 1 KB page`, () => do_not_optimize(s.find('GET http://www.example.org/1k', none, now + 1)));
    bench(`${name}: hit, 16 KB page`, () => do_not_optimize(s.find('GET http://www.example.org/16k', none, now + 1)));
    bench(`${name}: miss`, () => do_not_optimize(s.find('GET http://www.example.org/none', none, now + 1)));
  }
});
let n = 0;
const shared = stores[1][1];
bench('shared: store a 1 KB page (one write transaction)', () =>
  do_not_optimize(shared.put(entry(`GET http://www.example.org/p${n++ % 1000}`, 1024, now), 0)),
);

await run();
rmSync(dir, { recursive: true, force: true });
