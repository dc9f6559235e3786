import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMacRing } from '../core/mac.js';
import { createPasses } from '../challenge/pass.js';
import { createSeenCookie } from './seen-cookie.js';

const NOW = 1_800_000_000;
const keys = [randomBytes(32)];
const ring = createMacRing(() => keys);
const seen = createSeenCookie(ring, 'rampart_seen', 30 * 86400);
const value = (setCookie: string) => setCookie.split(';', 1)[0];

test('seen cookie: issued value reads back its first-seen stamp, with the attributes a browser needs', () => {
  const sc = seen.issue(0xc0a80100, 77, NOW - 3600, false);
  assert.match(sc, /^rampart_seen=\d+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/);
  assert.match(seen.issue(1, 2, NOW, true), /; Secure$/);
  assert.equal(seen.read(`a=b; ${value(sc)}; c=d`, 0xc0a80100, 77, NOW), NOW - 3600);
});

test('seen cookie: another prefix, another user agent, a forged stamp, an expired or future stamp, a pass: all read as none', () => {
  const v = value(seen.issue(0xc0a80100, 77, NOW - 60, false));
  assert.equal(seen.read(v, 0xc0a80200, 77, NOW), 0, 'other /24');
  assert.equal(seen.read(v, 0xc0a80100, 78, NOW), 0, 'other user agent');
  const forged = v.replace(/^rampart_seen=\d+/, `rampart_seen=${NOW - 86400}`);
  assert.equal(seen.read(forged, 0xc0a80100, 77, NOW), 0, 'backdated stamp');
  assert.equal(seen.read(value(seen.issue(1, 1, NOW - 31 * 86400, false)), 1, 1, NOW), 0, 'older than max_age');
  assert.equal(seen.read(value(seen.issue(1, 1, NOW + 3600, false)), 1, 1, NOW), 0, 'from the future');
  const pass = createPasses(ring, 86400).issue(1, 1, NOW + 100);
  assert.equal(seen.read(`rampart_seen=${pass}`, 1, 1, NOW), 0, 'a pass with the same key is not a seen cookie');
  for (const junk of [
    '',
    'rampart_seen=',
    'rampart_seen=0.x',
    'rampart_seen=12345678901.aaaaaaaaaaaaaaaaaaaaaa',
    'other=1',
  ])
    assert.equal(seen.read(junk, 1, 1, NOW), 0, junk);
  assert.equal(seen.read(undefined, 1, 1, NOW), 0);
});

test('seen cookie: the assets mark reads back with its stamp; an unmarked cookie with a "p" added, or a mark moved to another stamp, reads as none', () => {
  const marked = value(seen.issue(0xc0a80100, 77, NOW - 60, false, true));
  assert.match(marked, /^rampart_seen=\d+p\.[A-Za-z0-9_-]{22}$/);
  assert.equal(seen.read(marked, 0xc0a80100, 77, NOW), NOW - 60);
  assert.equal(seen.marked, true);
  const plain = value(seen.issue(0xc0a80100, 77, NOW - 60, false));
  assert.equal(seen.read(plain, 0xc0a80100, 77, NOW), NOW - 60);
  assert.equal(seen.marked, false);
  assert.equal(seen.read(plain.replace('.', 'p.'), 0xc0a80100, 77, NOW), 0, 'a mark the MAC does not cover');
  assert.equal(seen.marked, false);
  assert.equal(seen.read(marked.replace(/=\d+p/, `=${NOW - 90}p`), 0xc0a80100, 77, NOW), 0, 'another stamp');
  assert.equal(seen.read('rampart_seen=p.aaaaaaaaaaaaaaaaaaaaaa', 1, 1, NOW), 0, 'a mark and no stamp');
});
