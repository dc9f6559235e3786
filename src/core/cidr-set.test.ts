// CIDR sets: parsing (addresses, ranges, /0, /32, /128, invalid text), host
// bits masked, IPv4 and IPv6 kept apart, IPv4-mapped addresses matched as the
// IPv4 they are, and the longest and shortest prefixes of one set together.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCidr, compileCidrSet, keyV6, maskV4 } from './cidr-set.js';
import { parseIPv4, parseIPv6 } from './ip.js';

test('checkCidr: addresses and ranges accepted, anything else named in the error', () => {
  const good = [
    '10.0.0.0/8',
    '1.2.3.4',
    '1.2.3.4/32',
    '0.0.0.0/0',
    '10.1.2.3/8',
    ' 10.0.0.0/8'.trim(),
    '::1',
    '::/0',
    '2001:db8::/32',
    '2001:db8::1/128',
    '::ffff:10.0.0.0/8',
    'fe80::/10',
    '10.0.0.0/08',
  ];
  for (const t of good) assert.equal(checkCidr(t), null, t);
  const bad = [
    '',
    '/8',
    '10.0.0.0/',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    '10.0.0.0/8.0',
    '10.0.0.0/1000',
    '::/129',
    '2001:db8::/1280',
    '10.0.0',
    '256.0.0.0/8',
    '01.0.0.0/8',
    'localhost',
    '10.0.0.0/x',
    '[::1]/128',
    '*',
  ];
  for (const t of bad) assert.equal(checkCidr(t), `not an IP address or CIDR range: ${JSON.stringify(t)}`, t);
});

test('maskV4: the network at a prefix length, /0 and /32 included', () => {
  const ip = parseIPv4('203.0.113.77');
  const table: [number, string][] = [
    [0, '0.0.0.0'],
    [1, '128.0.0.0'],
    [8, '203.0.0.0'],
    [24, '203.0.113.0'],
    [31, '203.0.113.76'],
    [32, '203.0.113.77'],
  ];
  for (const [bits, net] of table) assert.equal(maskV4(ip, bits), parseIPv4(net), `/${bits}`);
  assert.equal(maskV4(0xffffffff, 32), 0xffffffff, 'unsigned at /32');
});

test('keyV6: the network at a prefix length across word boundaries', () => {
  const w = parseIPv6('2001:db8:abcd:1234:5678:9abc:def0:1234')!;
  const table: [number, string][] = [
    [0, '0:0:0:0'],
    [16, '20010000:0:0:0'],
    [32, '20010db8:0:0:0'],
    [48, '20010db8:abcd0000:0:0'],
    [64, '20010db8:abcd1234:0:0'],
    [65, '20010db8:abcd1234:0:0'],
    [72, '20010db8:abcd1234:56000000:0'],
    [127, '20010db8:abcd1234:56789abc:def01234'],
    [128, '20010db8:abcd1234:56789abc:def01234'],
  ];
  for (const [bits, key] of table) assert.equal(keyV6(w, bits), key, `/${bits}`);
  assert.equal(keyV6(parseIPv6('::1')!, 127), '0:0:0:0');
  assert.equal(keyV6(parseIPv6('::1')!, 128), '0:0:0:1');
});

test('compileCidrSet: membership at the edges of IPv4 ranges', () => {
  const s = compileCidrSet(['10.0.0.0/8', '192.168.1.7', '172.16.0.0/12', '198.51.100.128/25']);
  const table: [string, boolean][] = [
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['9.255.255.255', false],
    ['11.0.0.0', false],
    ['192.168.1.7', true],
    ['192.168.1.6', false],
    ['192.168.1.8', false],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['172.15.255.255', false],
    ['198.51.100.128', true],
    ['198.51.100.255', true],
    ['198.51.100.127', false],
    ['::ffff:10.9.8.7', true],
    ['::FFFF:10.9.8.7', true],
    ['0:0:0:0:0:ffff:10.9.8.7', true],
    ['::ffff:11.0.0.1', false],
    ['', false],
    ['garbage', false],
    ['10.0.0.1:80', false],
    [' 10.0.0.1', false],
    ['010.0.0.1', false],
  ];
  for (const [ip, inside] of table) assert.equal(s.has(ip), inside, ip);
  assert.equal(s.size, 4);
});

test('compileCidrSet: /0 holds every address of its family only; /32 and /128 one address', () => {
  const all4 = compileCidrSet(['0.0.0.0/0']);
  for (const ip of ['0.0.0.0', '1.2.3.4', '255.255.255.255', '::ffff:1.2.3.4']) assert.equal(all4.has(ip), true, ip);
  for (const ip of ['::1', '2001:db8::1', 'nope']) assert.equal(all4.has(ip), false, ip);
  const all6 = compileCidrSet(['::/0']);
  for (const ip of ['::', '::1', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'])
    assert.equal(all6.has(ip), true, ip);
  assert.equal(all6.has('1.2.3.4'), false, 'IPv4 clients are not in ::/0');
  assert.equal(all6.has('::ffff:1.2.3.4'), false, 'nor mapped ones: they are IPv4');
  const one4 = compileCidrSet(['1.2.3.4/32']);
  assert.deepEqual(
    ['1.2.3.4', '1.2.3.5', '1.2.3.3'].map((ip) => one4.has(ip)),
    [true, false, false],
  );
  const one6 = compileCidrSet(['2001:db8::1/128']);
  assert.deepEqual(
    ['2001:db8::1', '2001:DB8:0:0:0:0:0:1', '2001:db8::2', '2001:db8::'].map((ip) => one6.has(ip)),
    [true, true, false, false],
  );
});

test('compileCidrSet: IPv6 ranges, host bits in the range ignored, zones dropped', () => {
  const s = compileCidrSet(['2001:db8:1::/48', 'fe80::/10', '2001:db8:ff::dead:beef/64', '::1']);
  const table: [string, boolean][] = [
    ['2001:db8:1::', true],
    ['2001:db8:1:ffff:ffff:ffff:ffff:ffff', true],
    ['2001:db8:2::', false],
    ['2001:db8::1', false],
    ['fe80::1', true],
    ['febf:ffff::1', true],
    ['fec0::1', false],
    ['fe80::1%eth0', true],
    ['2001:db8:ff::1', true],
    ['2001:db8:ff:0:ffff::', true],
    ['2001:db8:ff:1::1', false],
    ['::1', true],
    ['::2', false],
    ['1.2.3.4', false],
    ['[::1]', false],
  ];
  for (const [ip, inside] of table) assert.equal(s.has(ip), inside, ip);
});

test('compileCidrSet: an IPv4-mapped range is its IPv4 range; surrounding spaces trimmed; bad entries throw', () => {
  const s = compileCidrSet(['::ffff:192.0.2.0/24', '  203.0.113.0/24  ']);
  assert.equal(s.has('192.0.2.9'), true);
  assert.equal(s.has('::ffff:192.0.2.9'), true);
  assert.equal(s.has('203.0.113.9'), true);
  assert.throws(() => compileCidrSet(['10.0.0.0/8', '10.0.0.0/33']), { name: 'TypeError', message: /10\.0\.0\.0\/33/ });
  assert.throws(() => compileCidrSet(['']), TypeError);
  assert.equal(compileCidrSet([]).size, 0);
  assert.equal(compileCidrSet([]).has('1.2.3.4'), false);
});

test('compileCidrSet: nested and overlapping prefixes of many lengths', () => {
  const s = compileCidrSet(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32', '0.0.0.0/1']);
  assert.equal(s.has('10.200.0.1'), true);
  assert.equal(s.has('100.0.0.1'), true, 'in 0.0.0.0/1');
  assert.equal(s.has('128.0.0.0'), false, 'past 0.0.0.0/1');
  assert.equal(s.has('200.1.2.3'), false);
});
