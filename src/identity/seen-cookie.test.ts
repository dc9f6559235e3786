import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createMacRing, MAC_CHARS } from '../core/mac.js';
import { fnv1a } from '../core/hash.js';
import { createPasses } from '../challenge/pass.js';
import { uaShapeOf } from '../core/client-tag.js';
import { createSeenCookie } from './seen-cookie.js';

const NOW = 1_800_000_000;
const keys = [randomBytes(32)];
const ring = createMacRing(() => keys);
const seen = createSeenCookie(ring, 'rampart_seen', 30 * 86400);
const value = (setCookie: string) => setCookie.split(';', 1)[0];
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const UA_UPDATED = UA.replace('Chrome/130', 'Chrome/131');
const UA_FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const UA_ANDROID =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

test('seen cookie: issued value reads back its first-seen stamp, with the attributes a browser needs', () => {
  const sc = seen.issue(0xc0a80100, UA, NOW - 3600, false);
  assert.match(
    sc,
    /^rampart_seen=\d+-[0-9a-f]{8}\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/,
  );
  assert.match(seen.issue(1, UA, NOW, true), /; Secure$/);
  assert.equal(seen.read(`a=b; ${value(sc)}; c=d`, 0xc0a80100, UA, NOW), NOW - 3600);
  assert.equal(seen.moved, false);
  const none = value(seen.issue(1, undefined, NOW - 5, false));
  assert.equal(seen.read(none, 1, undefined, NOW), NOW - 5, 'a client without a User-Agent');
});

test('seen cookie: another prefix, a forged stamp or tag, an expired or future stamp, a pass: all read as none, and none as moved', () => {
  const v = value(seen.issue(0xc0a80100, UA, NOW - 60, false));
  assert.equal(seen.read(v, 0xc0a80200, UA, NOW), 0, 'other /24');
  assert.equal(seen.moved, false, 'another prefix is not a moved cookie (a phone changing networks)');
  const forged = v.replace(/^rampart_seen=\d+/, `rampart_seen=${NOW - 86400}`);
  assert.equal(seen.read(forged, 0xc0a80100, UA, NOW), 0, 'backdated stamp');
  const retagged = v.replace(/-[0-9a-f]{8}\./, `-${uaShapeOf(UA_FIREFOX).toString(16).padStart(8, '0')}.`);
  assert.equal(seen.read(retagged, 0xc0a80100, UA_FIREFOX, NOW), 0, 'a tag the MAC does not cover');
  assert.equal(seen.moved, false);
  assert.equal(seen.read(value(seen.issue(1, UA, NOW - 31 * 86400, false)), 1, UA, NOW), 0, 'older than max_age');
  assert.equal(seen.read(value(seen.issue(1, UA, NOW + 3600, false)), 1, UA, NOW), 0, 'from the future');
  const pass = createPasses(ring, 86400).issue(1, 1, NOW + 100);
  assert.equal(seen.read(`rampart_seen=${pass}`, 1, UA, NOW), 0, 'a pass with the same key is not a seen cookie');
  for (const junk of [
    '',
    'rampart_seen=',
    'rampart_seen=0.x',
    'rampart_seen=12345678901.aaaaaaaaaaaaaaaaaaaaaa',
    'rampart_seen=1234-zzzzzzzz.aaaaaaaaaaaaaaaaaaaaaa',
    'rampart_seen=-0000abcd.aaaaaaaaaaaaaaaaaaaaaa',
    'other=1',
  ]) {
    assert.equal(seen.read(junk, 1, UA, NOW), 0, junk);
    assert.equal(seen.moved, false, junk);
  }
  assert.equal(seen.read(undefined, 1, UA, NOW), 0);
});

test('seen cookie: a browser that updates itself keeps its cookie; one carried to another browser or system reads as none and as moved', () => {
  const v = value(seen.issue(0xc0a80100, UA, NOW - 60, false, true));
  assert.equal(seen.read(v, 0xc0a80100, UA_UPDATED, NOW), NOW - 60, 'Chrome 130 → 131: only digits changed');
  assert.equal(seen.marked, true);
  assert.equal(seen.moved, false);
  for (const other of [UA_FIREFOX, UA_ANDROID, undefined]) {
    assert.equal(seen.read(v, 0xc0a80100, other, NOW), 0, String(other));
    assert.equal(seen.moved, true, String(other));
    assert.equal(seen.marked, false, 'a moved cookie carries no mark');
  }
  // The next read starts clean.
  assert.equal(seen.read(undefined, 0xc0a80100, UA, NOW), 0);
  assert.equal(seen.moved, false);
  assert.notEqual(uaShapeOf(UA), uaShapeOf(UA_FIREFOX));
  assert.equal(uaShapeOf(UA), uaShapeOf(UA_UPDATED));
});

test('seen cookie: a cookie of the earlier form (no tag, bound to the full User-Agent) still reads, so an upgrade forgets nobody', () => {
  // The earlier form, built here as that version signed it: MAC of prefix | FNV-1a(UA) | stamp | 'S' or 'P'.
  const legacy = (prefix: number, ua: string, stamp: number, marked: boolean) => {
    const msg = Buffer.alloc(13);
    msg.writeUInt32BE(prefix >>> 0, 0);
    msg.writeUInt32BE(fnv1a(ua), 4);
    msg.writeUInt32BE(stamp, 8);
    msg[12] = marked ? 0x50 : 0x53;
    const mac = createHmac('sha256', keys[0]).update(msg).digest('base64url').slice(0, MAC_CHARS);
    return `rampart_seen=${stamp}${marked ? 'p' : ''}.${mac}`;
  };
  assert.equal(seen.read(legacy(0xc0a80100, UA, NOW - 600, true), 0xc0a80100, UA, NOW), NOW - 600);
  assert.equal(seen.marked, true);
  assert.equal(seen.read(legacy(0xc0a80100, UA, NOW - 600, false), 0xc0a80100, UA, NOW), NOW - 600);
  assert.equal(seen.marked, false);
  assert.equal(
    seen.read(legacy(0xc0a80100, UA, NOW - 600, false), 0xc0a80100, UA_UPDATED, NOW),
    0,
    'bound to the full UA',
  );
  assert.equal(seen.moved, false, 'an untagged cookie cannot say where it came from');
});

test('seen cookie: the assets mark reads back with its stamp; an unmarked cookie with a "p" added, or a mark moved to another stamp, reads as none', () => {
  const marked = value(seen.issue(0xc0a80100, UA, NOW - 60, false, true));
  assert.match(marked, /^rampart_seen=\d+p-[0-9a-f]{8}\.[A-Za-z0-9_-]{22}$/);
  assert.equal(seen.read(marked, 0xc0a80100, UA, NOW), NOW - 60);
  assert.equal(seen.marked, true);
  const plain = value(seen.issue(0xc0a80100, UA, NOW - 60, false));
  assert.equal(seen.read(plain, 0xc0a80100, UA, NOW), NOW - 60);
  assert.equal(seen.marked, false);
  assert.equal(seen.read(plain.replace('-', 'p-'), 0xc0a80100, UA, NOW), 0, 'a mark the MAC does not cover');
  assert.equal(seen.marked, false);
  assert.equal(seen.read(marked.replace(/=\d+p/, `=${NOW - 90}p`), 0xc0a80100, UA, NOW), 0, 'another stamp');
  assert.equal(seen.read('rampart_seen=p-0000abcd.aaaaaaaaaaaaaaaaaaaaaa', 1, UA, NOW), 0, 'a mark and no stamp');
});

test('seen cookie: the "r" of a jar that moved reads back as rotated, with or without the mark; added, removed or moved to another stamp it reads as none', () => {
  const rotated = value(seen.issue(0xc0a80100, UA, NOW - 60, false, false, true));
  assert.match(rotated, /^rampart_seen=\d+r-[0-9a-f]{8}\.[A-Za-z0-9_-]{22}$/);
  assert.equal(seen.read(rotated, 0xc0a80100, UA, NOW), NOW - 60);
  assert.equal(seen.rotated, true);
  assert.equal(seen.marked, false);
  const both = value(seen.issue(0xc0a80100, UA, NOW - 60, false, true, true));
  assert.match(both, /^rampart_seen=\d+pr-/);
  assert.equal(seen.read(both, 0xc0a80100, UA, NOW), NOW - 60);
  assert.equal(seen.rotated, true);
  assert.equal(seen.marked, true);
  const plain = value(seen.issue(0xc0a80100, UA, NOW - 60, false));
  assert.equal(seen.read(plain, 0xc0a80100, UA, NOW), NOW - 60);
  assert.equal(seen.rotated, false, 'a cookie never moved');
  assert.equal(seen.read(plain.replace('-', 'r-'), 0xc0a80100, UA, NOW), 0, 'an "r" the MAC does not cover');
  assert.equal(seen.read(rotated.replace('r-', '-'), 0xc0a80100, UA, NOW), 0, 'an "r" taken off: no cookie at all');
  assert.equal(seen.read(both.replace('pr-', 'p-'), 0xc0a80100, UA, NOW), 0);
  assert.equal(seen.rotated, false);
  assert.equal(seen.read(rotated.replace(/=\d+r/, `=${NOW - 90}r`), 0xc0a80100, UA, NOW), 0, 'another stamp');
  // Under another browser's User-Agent the rotated cookie moves again, like any other.
  assert.equal(seen.read(rotated, 0xc0a80100, UA_FIREFOX, NOW), 0);
  assert.equal(seen.moved, true);
  assert.equal(seen.rotated, false, 'rotated speaks of a valid cookie only');
});
