import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshnessMs, parseCacheControl } from './cache-control.js';

test('directives are read case-insensitively, with quoted and repeated values', () => {
  const cc = parseCacheControl(['Public, MAX-AGE=60', 's-maxage="120", stale-while-revalidate=5, stale-if-error=300']);
  assert.equal(cc.public, true);
  assert.equal(cc.maxAge, 60);
  assert.equal(cc.sMaxAge, 120);
  assert.equal(cc.staleWhileRevalidate, 5);
  assert.equal(cc.staleIfError, 300);
  assert.equal(cc.mustRevalidate, false);
});

const table: Array<[string | undefined, number, number]> = [
  // header, route default ttl (ms), expected freshness (ms; -1 = do not store)
  ['max-age=10', 0, 10_000],
  ['max-age=10, s-maxage=30', 0, 30_000],
  ['s-maxage=0', 5_000, 0],
  ['no-store, max-age=60', 0, -1],
  ['private, max-age=60', 0, -1],
  ['private="set-cookie", max-age=60', 0, -1],
  ['no-cache', 0, -1],
  ['max-age=abc', 5_000, -1],
  ['public', 0, -1],
  ['public', 7_000, 7_000],
  [undefined, 0, -1],
  [undefined, 2_000, 2_000],
  ['must-revalidate, max-age=5', 0, 5_000],
];
for (const [h, ttl, want] of table) {
  test(`freshness of ${JSON.stringify(h)} with default ${ttl} is ${want}`, () => {
    assert.equal(freshnessMs(parseCacheControl(h), ttl), want);
  });
}

test('must-revalidate and proxy-revalidate forbid stale serving', () => {
  assert.equal(parseCacheControl('proxy-revalidate').mustRevalidate, true);
  assert.equal(parseCacheControl('must-revalidate').mustRevalidate, true);
});
