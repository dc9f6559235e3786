import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteStore, entrySize, MAX_VARIANTS, type Entry } from './store.js';

function entry(key: string, bodyBytes: number, over: Partial<Entry> = {}): Entry {
  const headers = ['content-type', 'text/plain', 'content-length', String(bodyBytes)];
  const body = Buffer.alloc(bodyBytes, 120);
  return { key, varyNames: null, varyValues: [], status: 200, headers, body, storedAt: 0, ageAtStore: 0, freshMs: 10_000, swrMs: 0, staleMs: 60_000, size: entrySize(key, headers, body), ...over };
}
const none = {};

test('bytes never exceed the cap, whatever is put (random sizes, many keys)', () => {
  const cap = 200_000;
  const store = new ByteStore(cap);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
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

test('least recently used keys are evicted first; a hit refreshes recency', () => {
  const one = entry('h /a', 1000).size;
  const store = new ByteStore(one * 3 + 10);
  for (const k of ['a', 'b', 'c']) store.put(entry(`h /${k}`, 1000), 0);
  assert.ok(store.find('h /a', none, 1) !== null); // touch a: b is now the oldest
  store.put(entry('h /d', 1000), 0);
  assert.equal(store.find('h /b', none, 1), null, 'b evicted');
  assert.ok(store.find('h /a', none, 1) !== null);
  assert.ok(store.find('h /c', none, 1) !== null);
  assert.ok(store.find('h /d', none, 1) !== null);
});

test('a fill that reserved bytes counts against the cap until released', () => {
  const store = new ByteStore(10_000);
  assert.equal(store.reserve(9_000), true);
  assert.equal(store.reserve(2_000), false, 'reservation beyond the cap is refused');
  store.release(9_000);
  assert.equal(store.bytes(), 0);
  assert.equal(store.reserve(20_000), false, 'larger than the whole cache');
});

test('Vary: variants are matched on the request values and capped per key', () => {
  const store = new ByteStore(1_000_000);
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

test('entries past every stale window are dropped on lookup', () => {
  const store = new ByteStore(1_000_000);
  store.put(entry('h /x', 10, { storedAt: 0, freshMs: 1000, staleMs: 1000 }), 0);
  assert.ok(store.find('h /x', none, 1999) !== null);
  assert.equal(store.find('h /x', none, 2001), null);
  assert.equal(store.entries, 0);
  assert.equal(store.bytes(), 0);
});
