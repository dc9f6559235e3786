// Bounded LRU: recency order, TTL expiry, eviction at capacity, hash chains
// under colliding keys, and slot reuse. Manual time: `now` is just a number.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLru, lruBytes } from './lru.js';

test('set/get with expiry', () => {
  const lru = createLru(4);
  lru.set(7, 1.5, 0, 100);
  assert.equal(lru.get(7, 50), 1.5);
  assert.ok(Number.isNaN(lru.get(7, 100)));
  assert.equal(lru.size(), 0, 'an expired entry found by get is reclaimed');
  assert.equal(lru.get(8, 0, -1), -1, 'missing value is the caller\u2019s');
});

test('full table evicts the least recently used key', () => {
  const lru = createLru(3);
  lru.set(1, 10, 0, 1e9);
  lru.set(2, 20, 0, 1e9);
  lru.set(3, 30, 0, 1e9);
  assert.equal(lru.get(1, 1), 10, 'touch 1: now 2 is the oldest');
  lru.set(4, 40, 2, 1e9);
  assert.ok(Number.isNaN(lru.get(2, 3)), '2 was evicted');
  assert.deepEqual([lru.get(1, 3), lru.get(3, 3), lru.get(4, 3)], [10, 30, 40]);
  assert.equal(lru.size(), 3);
  assert.equal(lru.evictions(), 1);
});

test('an expired tail is reclaimed before a live entry is evicted', () => {
  const lru = createLru(2);
  lru.set(1, 1, 0, 10); // expires at 10
  lru.set(2, 2, 0, 1e9);
  lru.get(1, 5); // 1 is most recent but will expire
  lru.get(2, 6); // 2 most recent, 1 at the tail
  lru.set(3, 3, 20, 1e9);
  assert.equal(lru.get(2, 21), 2, 'live entry kept');
  assert.equal(lru.get(3, 21), 3);
  assert.equal(lru.evictions(), 0, 'no live entry was evicted');
});

test('keys that collide in the hash table chain correctly, delete unlinks from the middle', () => {
  const lru = createLru(64);
  // Multiples of 2^28 share the top bits after multiplication often; use many keys to force chains.
  const keys = Array.from({ length: 64 }, (_, i) => (i * 0x10000000 + i) >>> 0);
  for (const [i, k] of keys.entries()) lru.set(k, i, 0, 1e9);
  for (const [i, k] of keys.entries()) assert.equal(lru.get(k, 1), i, `key ${k}`);
  assert.equal(lru.delete(keys[30]), true);
  assert.equal(lru.delete(keys[30]), false);
  assert.ok(Number.isNaN(lru.get(keys[30], 1)));
  for (const [i, k] of keys.entries()) if (i !== 30) assert.equal(lru.get(k, 1), i);
  lru.set(0xffffffff, 99, 1, 1e9);
  assert.equal(lru.get(0xffffffff, 2), 99, 'the largest uint32 is a key like any other');
  assert.equal(lru.evictions(), 0, 'the deleted slot was reused, nothing evicted');
});

test('acquire reports creation and keeps the slot for a live key', () => {
  const lru = createLru(8);
  const a = lru.acquire(5, 0, 100);
  assert.equal(lru.created(), true);
  lru.setValue(a, 3);
  const b = lru.acquire(5, 10, 200);
  assert.equal(lru.created(), false);
  assert.equal(a, b);
  assert.equal(lru.value(b), 3);
  assert.equal(lru.expiresAt(b), 100, 'acquire of a live key does not move its expiry');
  lru.acquire(5, 100, 300);
  assert.equal(lru.created(), true, 'an expired key is created afresh');
  assert.equal(lru.value(lru.find(5, 101)), 0);
});

test('many keys through a small table: size stays at capacity, recent keys survive', () => {
  const lru = createLru(1000);
  for (let i = 0; i < 100_000; i++) lru.set(i * 2654435761, i, i, 1e12);
  assert.equal(lru.size(), 1000);
  assert.equal(lru.evictions(), 99_000);
  for (let i = 99_000; i < 100_000; i++) assert.equal(lru.get(i * 2654435761, 1e6), i);
  lru.clear();
  assert.equal(lru.size(), 0);
  assert.ok(Number.isNaN(lru.get(99_999 * 2654435761, 1e6)));
});

test('memory ceiling is stated and capacity is validated', () => {
  assert.equal(lruBytes(1_000_000), 1_000_000 * 32 + 1_048_576 * 4);
  assert.throws(() => createLru(0), /capacity/);
  assert.throws(() => createLru(1.5), /capacity/);
});
