import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMacRing } from '../core/mac.js';
import { cookieValue, createPasses } from './pass.js';

const NOW = 1_900_000_000; // seconds
const TTL = 3600;
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const passesWith = (...keys: Buffer[]) =>
  createPasses(
    createMacRing(() => keys),
    TTL,
  );

test('a pass verifies for its prefix and tag until it expires', () => {
  const p = passesWith(keyA);
  const v = p.issue(0xcb007100, 42, NOW + TTL);
  assert.match(v, /^\d{10}\.[\w-]{22}$/);
  assert.ok(p.verify(v, 0xcb007100, 42, NOW));
  assert.ok(p.verify(v, 0xcb007100, 42, NOW + TTL - 1));
});

test('passes are refused when forged, expired, from another prefix or browser, or signed by an unknown key', () => {
  const p = passesWith(keyA);
  const v = p.issue(0xcb007100, 42, NOW + TTL);
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  const rows: [string, string, number, number, number][] = [
    ['forged MAC', flip(v, 20), 0xcb007100, 42, NOW],
    ['forged expiry', `${NOW + TTL - 1}${v.slice(10)}`, 0xcb007100, 42, NOW],
    ['leading zero', `0${v}`, 0xcb007100, 42, NOW],
    ['truncated', v.slice(0, -1), 0xcb007100, 42, NOW],
    ['garbage', 'x'.repeat(33), 0xcb007100, 42, NOW],
    ['empty', '', 0xcb007100, 42, NOW],
    ['expired', v, 0xcb007100, 42, NOW + TTL],
    ['other prefix', v, 0xcb007200, 42, NOW],
    ['other browser', v, 0xcb007100, 43, NOW],
  ];
  for (const [name, value, prefix, tag, now] of rows) assert.equal(p.verify(value, prefix, tag, now), false, name);
  assert.equal(passesWith(keyB).verify(v, 0xcb007100, 42, NOW), false, 'unknown key');
});

test('rotation: a pass signed by the previous key stays valid while that key is in the ring', () => {
  const old = passesWith(keyA).issue(1, 2, NOW + TTL);
  assert.ok(passesWith(keyB, keyA).verify(old, 1, 2, NOW));
  assert.equal(passesWith(keyB).verify(old, 1, 2, NOW), false);
});

test('a pass claiming to outlive pass_ttl is refused (shortening the TTL takes effect at once)', () => {
  const long = passesWith(keyA).issue(1, 2, NOW + 10 * TTL);
  assert.equal(passesWith(keyA).verify(long, 1, 2, NOW), false);
});

test('cookieValue finds the cookie by exact name in a Cookie header', () => {
  const rows: [string, string, string][] = [
    ['rampart_pass=abc', 'rampart_pass', 'abc'],
    ['a=1; rampart_pass=abc; b=2', 'rampart_pass', 'abc'],
    ['a=1;rampart_pass=abc', 'rampart_pass', 'abc'],
    ['x_rampart_pass=evil; rampart_pass=good', 'rampart_pass', 'good'],
    ['rampart_pass_old=1', 'rampart_pass', ''],
    ['a=rampart_pass=1', 'rampart_pass', ''],
    ['', 'rampart_pass', ''],
    ['sid=', 'sid', ''],
  ];
  for (const [header, name, want] of rows) assert.equal(cookieValue(header, name), want, header);
});
