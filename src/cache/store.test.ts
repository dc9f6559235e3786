// One suite for both stores: a process's memory (ByteStore) and the machine's
// shared SQLite store of cluster workers (shared-store.ts, here through two
// connections to one file, as two workers hold them).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ByteStore, entrySize, MAX_VARIANTS, type Entry, type Store } from './store.js';
import { createSharedStores } from './shared-store.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const STORES: Array<{ name: string; make: (cap: number) => Store; dropsOnLookup: boolean }> = [
  { name: 'memory', make: (cap) => new ByteStore(cap), dropsOnLookup: true },
  { name: 'shared', make: (cap) => createSharedStores(join(dir, `s${++files}.sqlite`))(cap), dropsOnLookup: false },
];

function entry(key: string, bodyBytes: number, over: Partial<Entry> = {}): Entry {
  const headers = ['content-type', 'text/plain', 'content-length', String(bodyBytes)];
  const body = Buffer.alloc(bodyBytes, 120);
  return {
    key,
    varyNames: null,
    varyValues: [],
    status: 200,
    headers,
    body,
    storedAt: 0,
    ageAtStore: 0,
    freshMs: 10_000,
    swrMs: 0,
    staleMs: 60_000,
    size: entrySize(key, headers, body),
    ...over,
  };
}
const none = {};

for (const { name, make, dropsOnLookup } of STORES) {
  test(`${name}: bytes never exceed the cap, whatever is put (random sizes, many keys)`, () => {
    const cap = 200_000;
    const store = make(cap);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const e = entry(`h /k${Math.floor(rnd() * 800)}`, Math.floor(rnd() * 30_000));
      if (store.reserve(e.body.length)) {
        assert.ok(store.bytes() <= cap);
        if (store.put(e, e.body.length)) accepted++;
      }
      assert.ok(store.bytes() <= cap, `bytes ${store.bytes()} over cap at put ${i}`);
    }
    assert.ok(accepted > 100, 'the store accepted entries');
    assert.ok(store.evictions > 0, 'and evicted to stay under the cap');
  });

  test(`${name}: least recently used keys are evicted first; a hit refreshes recency`, () => {
    const one = entry('h /a', 1000).size;
    const store = make(one * 3 + 10);
    for (const [i, k] of ['a', 'b', 'c'].entries()) store.put(entry(`h /${k}`, 1000, { storedAt: i + 1 }), 0);
    assert.ok(store.find('h /a', none, 4) !== null); // touch a: b is now the oldest
    store.put(entry('h /d', 1000, { storedAt: 5 }), 0);
    assert.equal(store.find('h /b', none, 1), null, 'b evicted');
    assert.ok(store.find('h /a', none, 1) !== null);
    assert.ok(store.find('h /c', none, 1) !== null);
    assert.ok(store.find('h /d', none, 1) !== null);
  });

  test(`${name}: a fill that reserved bytes counts against the cap until released`, () => {
    const store = make(10_000);
    assert.equal(store.reserve(9_000), true);
    assert.equal(store.reserve(2_000), false, 'reservation beyond the cap is refused');
    store.release(9_000);
    assert.equal(store.bytes(), 0);
    assert.equal(store.reserve(20_000), false, 'larger than the whole cache');
  });

  test(`${name}: Vary: variants are matched on the request values and capped per key`, () => {
    const store = make(1_000_000);
    const v = (lang: string) => entry('h /p', 10, { varyNames: ['accept-language'], varyValues: [lang] });
    store.put(v('en'), 0);
    store.put(v('de'), 0);
    assert.equal(store.find('h /p', { 'accept-language': 'de' }, 1)?.varyValues[0], 'de');
    assert.equal(store.find('h /p', { 'accept-language': 'fr' }, 1), null);
    for (const l of ['a', 'b', 'c', 'd', 'e']) store.put(v(l), 0);
    assert.equal(store.entries, MAX_VARIANTS);
    store.put(v('e'), 0);
    assert.equal(store.entries, MAX_VARIANTS, 'the same variant replaces, not adds');
  });

  test(`${name}: entries past every stale window are never served, and dropped`, () => {
    const store = make(1_000_000);
    store.put(entry('h /x', 10, { storedAt: 0, freshMs: 1000, staleMs: 1000 }), 0);
    assert.ok(store.find('h /x', none, 1999) !== null);
    assert.equal(store.find('h /x', none, 2001), null);
    if (!dropsOnLookup) store.put(entry('h /y', 10, { storedAt: 2001 }), 0); // the shared store drops dead rows as it stores
    assert.equal(store.entries, dropsOnLookup ? 0 : 1);
    assert.equal(store.bytes(), dropsOnLookup ? 0 : entry('h /y', 10).size);
  });
}

test("shared: two workers' connections see one set of entries under one cap", () => {
  const file = join(dir, 'two.sqlite');
  const a = createSharedStores(file)(30_000);
  const b = createSharedStores(file)(30_000);
  a.put(entry('h /page', 2000, { storedAt: 1 }), 0);
  assert.equal(b.find('h /page', none, 2)?.body.length, 2000, 'stored by a, found by b');
  for (let i = 0; i < 40; i++) (i % 2 ? a : b).put(entry(`h /k${i}`, 2000, { storedAt: 10 + i }), 0);
  assert.ok(a.bytes() <= 30_000 && b.bytes() <= 30_000, `one cap for both: ${a.bytes()}`);
  assert.equal(a.bytes(), b.bytes());
  assert.equal(a.entries, b.entries);
  assert.ok(a.evictions > 0);
  assert.ok(b.find('h /k39', none, 60) !== null && a.find('h /k38', none, 60) !== null, 'the newest of either survive');
});

test("shared: a store that cannot be opened falls back to this process's memory, said once", () => {
  const fails: unknown[] = [];
  const open = createSharedStores(join(dir, 'no-such-dir', 'x.sqlite'), (e) => fails.push(e));
  const a = open(100_000);
  assert.equal(a.find('h /a', none, 1), null);
  assert.equal(a.put(entry('h /a', 100, { storedAt: 1 }), 0), true);
  assert.equal(a.find('h /a', none, 2)?.body.length, 100);
  open(100_000).find('h /b', none, 2);
  assert.equal(fails.length, 1);
});
