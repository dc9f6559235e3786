// Set elements from bans and lists: disjoint (the kernel refuses overlapping
// interval elements), the latest expiry wins where entries overlap, the allow
// list is cut out of CIDR bans, expired and malformed entries are left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRange, rangeOf, setElements, type Span } from './firewall-ranges.js';

const show = (s: Span[]) => s.map((x) => `${formatRange(x)}@${x.until}`);

test('addresses and CIDRs as ranges; IPv6 too; junk is null', () => {
  assert.equal(formatRange(rangeOf('203.0.113.7')!), '203.0.113.7');
  assert.equal(formatRange(rangeOf('203.0.113.9/24')!), '203.0.113.0-203.0.113.255');
  assert.equal(formatRange(rangeOf('0.0.0.0/0')!), '0.0.0.0-255.255.255.255');
  assert.equal(formatRange(rangeOf('2001:db8::1')!), '2001:db8:0:0:0:0:0:1');
  assert.equal(formatRange(rangeOf('2001:db8::/127')!), '2001:db8:0:0:0:0:0:0-2001:db8:0:0:0:0:0:1');
  assert.equal(formatRange(rangeOf('::ffff:10.0.0.1')!), '10.0.0.1', 'IPv4-mapped is IPv4');
  for (const bad of ['', 'x', '10.0.0.1/33', '10.0.0.01', '2001:db8::/129', '10.0.0.0/'])
    assert.equal(rangeOf(bad), null, bad);
});

test('overlapping bans become disjoint pieces, each with the latest expiry covering it', () => {
  const { v4 } = setElements(
    [
      { target: '10.0.0.0/24', until: 1000 },
      { target: '10.0.0.5', until: 5000 },
      { target: '10.0.0.6', until: 5000 },
      { target: '10.0.1.0/24', until: 1000 },
    ],
    [],
    0,
  );
  assert.deepEqual(show(v4), ['10.0.0.0-10.0.0.4@1000', '10.0.0.5-10.0.0.6@5000', '10.0.0.7-10.0.1.255@1000']);
});

test('the allow list is cut out: an allow-listed address never enters the set', () => {
  const { v4, v6 } = setElements(
    [
      { target: '127.5.0.0/24', until: 9000 },
      { target: '127.6.0.1', until: 9000 },
      { target: '2001:db8::/126', until: Infinity },
    ],
    ['127.5.0.9', '127.6.0.0/30', '2001:db8::2'],
    0,
  );
  assert.deepEqual(show(v4), ['127.5.0.0-127.5.0.8@9000', '127.5.0.10-127.5.0.255@9000']);
  assert.deepEqual(show(v6), ['2001:db8:0:0:0:0:0:0-2001:db8:0:0:0:0:0:1@Infinity', '2001:db8:0:0:0:0:0:3@Infinity']);
});

test('expired and malformed entries are left out', () => {
  const { v4 } = setElements(
    [
      { target: '10.0.0.1', until: 100 },
      { target: 'nope', until: 9000 },
      { target: '10.0.0.2', until: 9000 },
    ],
    [],
    100,
  );
  assert.deepEqual(show(v4), ['10.0.0.2@9000']);
});

test('many single-address bans: one element each, in order', () => {
  const entries = Array.from({ length: 2000 }, (_, i) => ({
    target: `10.1.${i >> 8}.${i & 255}`,
    until: 1000 + (i % 2),
  }));
  const { v4 } = setElements(entries, [], 0);
  assert.equal(v4.length, 2000);
  for (let i = 1; i < v4.length; i++) assert.ok(v4[i].lo > v4[i - 1].hi);
});
