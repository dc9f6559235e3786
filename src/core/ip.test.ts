// IP parsing and keys: dotted IPv4 (strict, no octal or short forms), IPv6
// with :: and embedded IPv4, IPv4-mapped addresses in every spelling, and the
// 32-bit client (/64) and prefix (/48, /24) keys built from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKeyOf, formatIPv4, isIp, normalizeIp, parseIPv4, parseIPv6, prefixKeyOf, prefixLabelOf } from './ip.js';

test('parseIPv4: dotted quads to uint32, anything else -1', () => {
  const table: [string, number][] = [
    ['0.0.0.0', 0],
    ['1.2.3.4', 0x01020304],
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
    ['192.168.0.10', 0xc0a8000a],
    ['', -1],
    ['1.2.3', -1],
    ['1.2.3.4.5', -1],
    ['1.2.3.4.', -1],
    ['.1.2.3', -1],
    ['1..2.3', -1],
    ['256.0.0.1', -1],
    ['1.2.3.1000', -1],
    ['01.2.3.4', -1], // octal in some parsers: refused, never read as 1
    ['1.2.3.08', -1],
    ['00.1.2.3', -1],
    ['1.2.3.4 ', -1],
    [' 1.2.3.4', -1],
    ['1.2.3.-4', -1],
    ['0x7f.0.0.1', -1],
    ['2130706433', -1], // 127.0.0.1 as one number
    ['::1', -1],
    ['1.2.3.4/32', -1],
    ['1.2.3.4:80', -1],
  ];
  for (const [s, n] of table) assert.equal(parseIPv4(s), n, JSON.stringify(s));
});

test('formatIPv4 is the inverse of parseIPv4', () => {
  for (const s of ['0.0.0.0', '1.2.3.4', '203.0.113.255', '255.255.255.255', '128.0.0.1'])
    assert.equal(formatIPv4(parseIPv4(s)), s);
});

test('parseIPv6: eight 16-bit groups into four words; :: anywhere; embedded IPv4; zone dropped', () => {
  const table: [string, number[] | null][] = [
    ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['1::', [0x00010000, 0, 0, 0]],
    ['2001:db8::1', [0x20010db8, 0, 0, 1]],
    ['2001:DB8:0:0:0:0:0:1', [0x20010db8, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', [0x00010002, 0x00030004, 0x00050006, 0x00070008]],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]],
    ['2001:db8:1::ab:cd', [0x20010db8, 0x00010000, 0, 0x00ab00cd]],
    ['::ffff:1.2.3.4', [0, 0, 0xffff, 0x01020304]],
    ['::1.2.3.4', [0, 0, 0, 0x01020304]],
    ['64:ff9b::192.0.2.33', [0x0064ff9b, 0, 0, 0xc0000221]],
    ['fe80::1%eth0', [0xfe800000, 0, 0, 1]],
    ['', null],
    ['1.2.3.4', null],
    [':::', null],
    ['1::2::3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['12345::1', null],
    ['g::1', null],
    ['[::1]', null],
    ['::ffff:256.1.1.1', null],
    ['::ffff:01.2.3.4', null],
    ['2001:db8::/32', null],
  ];
  for (const [s, words] of table) {
    const w = parseIPv6(s);
    assert.deepEqual(w === null ? null : [...w], words, JSON.stringify(s));
  }
});

test('isIp: IPv4 or IPv6 text, nothing else (no ports, brackets, spaces, ranges)', () => {
  for (const s of ['1.2.3.4', '::1', '2001:db8::1', '::ffff:1.2.3.4']) assert.equal(isIp(s), true, s);
  for (const s of ['', 'unknown', '1.2.3.4:80', '[::1]', ' 1.2.3.4', '1.2.3.4/32', '_hidden', 'localhost'])
    assert.equal(isIp(s), false, s);
});

test('normalizeIp: an IPv4-mapped IPv6 address becomes its IPv4 address, in any spelling', () => {
  const table: [string, string][] = [
    ['::ffff:1.2.3.4', '1.2.3.4'], // what dual-stack sockets report
    ['::FFFF:1.2.3.4', '1.2.3.4'],
    ['::Ffff:10.0.0.1', '10.0.0.1'],
    ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
    ['0000:0000:0000:0000:0000:FFFF:203.0.113.9', '203.0.113.9'],
    // Unchanged: already IPv4, plain IPv6, and addresses that only look mapped.
    ['1.2.3.4', '1.2.3.4'],
    ['0.1.2.3', '0.1.2.3'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['::1.2.3.4', '::1.2.3.4'], // IPv4-compatible (deprecated), not mapped
    ['::ffff:0:1.2.3.4', '::ffff:0:1.2.3.4'], // IPv4-translated (RFC 2765), not mapped
    ['64:ff9b::1.2.3.4', '64:ff9b::1.2.3.4'], // NAT64
    ['::ffff:abcd', '::ffff:abcd'],
    ['', ''],
  ];
  for (const [s, out] of table) assert.equal(normalizeIp(s), out, JSON.stringify(s));
});

test('clientKeyOf: IPv4 is the address itself; IPv6 hashes its /64 with the high bit set', () => {
  assert.equal(clientKeyOf('1.2.3.4'), 0x01020304);
  assert.equal(clientKeyOf('0.0.0.0'), 0);
  assert.equal(clientKeyOf('255.255.255.255'), 0xffffffff);
  const a = clientKeyOf('2001:db8:1:2::1');
  assert.ok(a >= 0x80000000 && a <= 0xffffffff, 'a uint32 with the high bit');
  assert.equal(clientKeyOf('2001:db8:1:2:ffff:ffff:ffff:ffff'), a, 'same /64: same client');
  assert.equal(clientKeyOf('2001:DB8:1:2:0:0:0:99'), a, 'spelling does not matter');
  assert.notEqual(clientKeyOf('2001:db8:1:3::1'), a, 'the next /64 is another client');
  assert.notEqual(clientKeyOf('2001:db8:1:2::1'), clientKeyOf('2001:db8:2:2::1'));
  assert.equal(clientKeyOf('garbage'), 0);
  assert.equal(clientKeyOf(''), 0);
});

test('prefixKeyOf: IPv4 /24 network; IPv6 hashed /48', () => {
  assert.equal(prefixKeyOf('203.0.113.77'), 0xcb007100);
  assert.equal(prefixKeyOf('203.0.113.0'), prefixKeyOf('203.0.113.255'));
  assert.notEqual(prefixKeyOf('203.0.113.1'), prefixKeyOf('203.0.114.1'));
  const p = prefixKeyOf('2001:db8:1::1');
  assert.ok(p >= 0x80000000);
  assert.equal(prefixKeyOf('2001:db8:1:ffff:1::'), p, 'same /48');
  assert.notEqual(prefixKeyOf('2001:db8:2::1'), p, 'the next /48');
  assert.notEqual(prefixKeyOf('2001:db8:1:2::1'), clientKeyOf('2001:db8:1:2::1'), 'the /48 and /64 keys differ');
  assert.equal(
    prefixKeyOf('2001:db8:1:0::1'),
    clientKeyOf('2001:db8:1:0::1'),
    'equal when the 4th group is 0 (keys of separate tables)',
  );
  assert.equal(prefixKeyOf('not an ip'), 0);
});

test('keys of a mapped address are the IPv4 keys once normalized (every spelling)', () => {
  for (const s of ['::ffff:198.51.100.7', '::FFFF:198.51.100.7', '0:0:0:0:0:ffff:198.51.100.7']) {
    assert.equal(clientKeyOf(normalizeIp(s)), clientKeyOf('198.51.100.7'), s);
    assert.equal(prefixKeyOf(normalizeIp(s)), prefixKeyOf('198.51.100.7'), s);
  }
  assert.notEqual(clientKeyOf(normalizeIp('::FFFF:198.51.100.7')), clientKeyOf(normalizeIp('::FFFF:198.51.100.8')));
});

test('prefixLabelOf: the prefix in words for reports', () => {
  assert.equal(prefixLabelOf('203.0.113.77'), '203.0.113.0/24');
  assert.equal(prefixLabelOf('2001:db8:1:2::1'), '2001:db8:1::/48');
  assert.equal(prefixLabelOf('2001:db8::1'), '2001:db8:0::/48');
  assert.equal(prefixLabelOf('unknown'), 'unknown');
});
