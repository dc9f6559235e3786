// FNV-1a helpers: the step, range, caseless and word forms agree with the
// plain definition (offset basis, XOR then multiply by the prime, mod 2^32).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FNV_OFFSET, fnv1a, fnv1aCaseless, fnvStep, fnvWord } from './hash.js';

/** The textbook definition, with BigInt arithmetic: nothing shared with the code under test. */
function reference(codes: number[]): number {
  let h = 2166136261n;
  for (const c of codes) h = ((h ^ BigInt(c)) * 16777619n) % 4294967296n;
  return Number(h);
}
const codes = (s: string) => [...s].map((ch) => ch.charCodeAt(0));

test('fnv1a and fnvStep follow the definition (known vectors: "" and "a")', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c);
  for (const s of ['hello', 'Host', '/api/donors/123', 'ü€', 'x'.repeat(300)]) {
    assert.equal(fnv1a(s), reference(codes(s)), s);
    let h = FNV_OFFSET;
    for (const c of codes(s)) h = fnvStep(h, c);
    assert.equal(h >>> 0, fnv1a(s), `steps of ${s}`);
  }
});

test('fnv1a folds a range into a running hash', () => {
  assert.equal(fnv1a('xxabcyy', FNV_OFFSET, 2, 5), fnv1a('abc'));
  assert.equal(fnv1a('def', fnv1a('abc')), fnv1a('abcdef'));
  assert.equal(fnv1a('abc', FNV_OFFSET, 1, 1), FNV_OFFSET, 'empty range');
});

test('fnv1aCaseless: letters alike in either case, 0x20 OR-ed into every code', () => {
  assert.equal(fnv1aCaseless('User-Agent'), fnv1aCaseless('user-agent'));
  assert.equal(fnv1aCaseless('user-agent'), fnv1a('user-agent'), 'lower-case letters and "-" already carry 0x20');
  assert.notEqual(fnv1aCaseless('Host'), fnv1a('Host'));
  assert.equal(fnv1aCaseless('Host'), reference(codes('Host').map((c) => c | 0x20)));
  assert.equal(fnv1aCaseless('b', fnv1aCaseless('A')), fnv1aCaseless('ab'));
});

test('fnvWord hashes the 4 bytes of a uint32, least significant first', () => {
  for (const w of [0, 1, 0x20010db8, 0xffffffff, 0x80000000]) {
    const bytes = [w & 255, (w >>> 8) & 255, (w >>> 16) & 255, w >>> 24];
    assert.equal(fnvWord(FNV_OFFSET, w), reference(bytes), w.toString(16));
  }
  assert.equal(fnvWord(fnvWord(FNV_OFFSET, 1), 2), reference([1, 0, 0, 0, 2, 0, 0, 0]));
});
