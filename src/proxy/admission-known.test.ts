import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KnownClients } from './admission-known.js';

test('a client becomes known after knownAfter, and a flood of new keys does not evict it', () => {
  const k = new KnownClients(1024, 60_000);
  k.seen(42, 1_000);
  assert.equal(k.isKnown(42, 30_000), false);
  assert.equal(k.isKnown(42, 61_000), true);
  for (let i = 1000; i < 200_000; i++) k.seen(i, 61_000);
  assert.equal(k.isKnown(42, 62_000), true, 'known client kept');
  assert.equal(k.isKnown(1234, 62_000), false, 'new ones are not known yet');
  assert.equal(k.isKnown(7, 62_000), false, 'never seen');
});
