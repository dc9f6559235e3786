import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createMacRing, MAC_CHARS } from './mac.js';

test('the pre-padded HMAC equals createHmac for short, block-size and long keys and messages', () => {
  for (const keyLen of [1, 32, 64, 65, 100]) {
    for (const msgLen of [0, 12, 35, 64, 65, 200]) {
      const key = randomBytes(keyLen);
      const msg = randomBytes(msgLen);
      const want = createHmac('sha256', key).update(msg).digest('base64url').slice(0, MAC_CHARS);
      const ring = createMacRing(() => [key]);
      assert.equal(ring.sign(msg), want, `key ${keyLen} msg ${msgLen}`);
      assert.ok(ring.verify(msg, `abc${want}`, 3));
    }
  }
});

test('verify accepts any key of the ring and rejects a truncated or altered MAC', () => {
  const [a, b] = [randomBytes(32), randomBytes(32)];
  const msg = Buffer.from('hello');
  const signedA = createMacRing(() => [a]).sign(msg);
  assert.ok(createMacRing(() => [b, a]).verify(msg, signedA, 0));
  assert.equal(createMacRing(() => [b]).verify(msg, signedA, 0), false);
  assert.equal(createMacRing(() => [a]).verify(msg, signedA.slice(0, -1), 0), false);
  const altered = signedA.slice(0, 5) + (signedA[5] === 'A' ? 'B' : 'A') + signedA.slice(6);
  assert.equal(createMacRing(() => [a]).verify(msg, altered, 0), false);
});

test('an empty ring still signs and verifies with a private per-process key (kept across reloads)', () => {
  const ring = createMacRing(() => []);
  const msg = Buffer.from('x');
  assert.ok(ring.verify(msg, ring.sign(msg), 0));
  assert.ok(createMacRing(() => []).verify(msg, ring.sign(msg), 0), 'a rebuilt ring (config reload) accepts it');
  assert.equal(
    createMacRing(() => [randomBytes(32)]).verify(msg, ring.sign(msg), 0),
    false,
    'the fallback is not a known key',
  );
});
