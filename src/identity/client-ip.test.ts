// The client address behind trusted proxies: X-Forwarded-For is read only
// from a trusted peer, walked from the right, and the first untrusted hop is
// the client. Spoofed entries to its left are never reached; garbage stops
// the walk at the last address that could be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCidrSet, type CidrSet } from '../core/cidr-set.js';
import { clientIpOf } from './client-ip.js';

const trusted = compileCidrSet(['10.0.0.0/8', '2001:db8:cafe::/48']);
const none = compileCidrSet([]);

test('X-Forwarded-For is ignored unless the TCP peer is a trusted proxy', () => {
  const table: [string, string | undefined, CidrSet, string][] = [
    ['203.0.113.9', '1.1.1.1', trusted, '203.0.113.9'], // a client forging its own header
    ['203.0.113.9', '10.0.0.1', trusted, '203.0.113.9'], // …even naming a trusted proxy
    ['10.0.0.2', '1.1.1.1', none, '10.0.0.2'], // no trusted proxies configured
    ['10.0.0.2', undefined, trusted, '10.0.0.2'], // trusted peer, no header
    ['2001:db8:beef::1', '1.1.1.1', trusted, '2001:db8:beef::1'],
  ];
  for (const [peer, xff, set, client] of table) assert.equal(clientIpOf(peer, xff, set), client, `${peer} ${xff}`);
});

test("a trusted peer: the right-most untrusted hop is the client, entries to its left are the client's own words", () => {
  const table: [string, string][] = [
    ['198.51.100.7', '198.51.100.7'],
    ['6.6.6.6, 198.51.100.7', '198.51.100.7'], // spoofed left-most entry
    ['10.9.9.9, 198.51.100.7', '198.51.100.7'], // spoofed trusted-looking entry on the left
    ['198.51.100.7, 10.0.0.5', '198.51.100.7'], // a chain of trusted proxies
    ['1.1.1.1, 198.51.100.7, 10.0.0.5, 10.0.0.4', '198.51.100.7'],
    ['198.51.100.7,10.0.0.5', '198.51.100.7'], // no spaces
    ['  198.51.100.7  ,  10.0.0.5 ', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'], // mapped: normalised
    ['::FFFF:198.51.100.7, ::ffff:10.0.0.5', '198.51.100.7'],
    ['2001:db8:1::7', '2001:db8:1::7'],
    ['2001:db8:1::7, 2001:db8:cafe::1', '2001:db8:1::7'], // IPv6 trusted hop skipped
    ['2001:db8:1::7, 2001:db8:cafe:ffff::1', '2001:db8:1::7'],
    ['2001:db8:1::7, 2001:db8:caff::1', '2001:db8:caff::1'], // outside the trusted /48: that is the client
  ];
  for (const [xff, client] of table) assert.equal(clientIpOf('10.0.0.1', xff, trusted), client, xff);
});

test('only trusted hops: the left-most one (no client address was given)', () => {
  assert.equal(clientIpOf('10.0.0.1', '10.0.0.3, 10.0.0.2', trusted), '10.0.0.3');
  assert.equal(clientIpOf('10.0.0.1', '10.0.0.3', trusted), '10.0.0.3');
});

test('garbage in the chain stops the walk at the last address read: never skips past it to a spoofed entry', () => {
  const table: [string, string][] = [
    ['198.51.100.7, unknown', '10.0.0.1'], // garbage right of the client: the peer is all we know
    ['6.6.6.6, garbage, 10.0.0.5', '10.0.0.5'],
    ['6.6.6.6, , 10.0.0.5', '10.0.0.5'], // an empty entry
    ['6.6.6.6,', '10.0.0.1'],
    ['', '10.0.0.1'],
    [',,,', '10.0.0.1'],
    ['198.51.100.7:4711', '10.0.0.1'], // a port: not an address
    ['[2001:db8:1::7]', '10.0.0.1'], // brackets: not an address
    ['"198.51.100.7"', '10.0.0.1'],
    ['198.51.100.7 10.0.0.5', '10.0.0.1'], // space-separated: one garbage entry
    ['6.6.6.6, 198.51.100.07', '10.0.0.1'], // a leading zero is not read as an address
    ['garbage, 198.51.100.7', '198.51.100.7'], // garbage left of the client is never reached
  ];
  for (const [xff, client] of table) assert.equal(clientIpOf('10.0.0.1', xff, trusted), client, JSON.stringify(xff));
});

test('several X-Forwarded-For headers read as one list, in order', () => {
  assert.equal(clientIpOf('10.0.0.1', ['6.6.6.6', '198.51.100.7, 10.0.0.5'], trusted), '198.51.100.7');
  assert.equal(clientIpOf('10.0.0.1', ['198.51.100.7', '10.0.0.5'], trusted), '198.51.100.7');
  assert.equal(clientIpOf('10.0.0.1', [], trusted), '10.0.0.1');
});

test('a peer given as an IPv4-mapped address is trusted as its IPv4 address', () => {
  assert.equal(clientIpOf('::ffff:10.0.0.1', '198.51.100.7', trusted), '198.51.100.7');
  assert.equal(clientIpOf('::ffff:203.0.113.9', '198.51.100.7', trusted), '::ffff:203.0.113.9');
});

test('too many hops: a long spoofed prefix is never walked past the first untrusted hop from the right', () => {
  let asked = 0;
  const counting: CidrSet = {
    size: trusted.size,
    has: (ip) => {
      asked++;
      return trusted.has(ip);
    },
  };
  const spoofed = Array.from({ length: 5000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(', ');
  assert.equal(clientIpOf('10.0.0.1', `${spoofed}, 198.51.100.7, 10.0.0.5`, counting), '198.51.100.7');
  assert.equal(asked, 3, 'the peer, 10.0.0.5 and the client: nothing to their left');
  asked = 0;
  assert.equal(clientIpOf('10.0.0.1', `${spoofed}, 198.51.100.7`, counting), '198.51.100.7');
  assert.equal(asked, 2);
});
