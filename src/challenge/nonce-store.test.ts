import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNonceStore } from './nonce-store.js';

test('a nonce is claimed once until it expires', () => {
  const s = createNonceStore(8);
  assert.ok(s.claim(1, 100, 0));
  assert.equal(s.claim(1, 100, 50), false);
  assert.ok(s.claim(1, 200, 100), 'after expiry the key is free again');
});

test('the store never holds more than its capacity; when full the oldest goes first', () => {
  const s = createNonceStore(4);
  for (let k = 1; k <= 10; k++) assert.ok(s.claim(k, 1000, 0));
  assert.equal(s.size, 4);
  assert.equal(s.evictedLive, 6);
  assert.equal(s.claim(10, 1000, 1), false, 'newest still remembered');
  assert.ok(s.claim(1, 1000, 1), 'oldest was evicted (the stated trade-off)');
});

test('expired entries are dropped as new ones arrive', () => {
  const s = createNonceStore(100);
  for (let k = 0; k < 10; k++) s.claim(k, 10, 0);
  for (let k = 10; k < 13; k++) s.claim(k, 1000, 20);
  assert.equal(s.size, 3, 'four expired entries dropped per claim');
  assert.equal(s.evictedLive, 0);
});
