// Ban targets and lookups at the edges: /0 ranges, IPv6 canonical forms,
// IPv4-mapped addresses, zone ids, garbage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ban } from '../core/model.js';
import { BanIndex, parseBanTarget } from './ban-index.js';

const ban = (target: string): Ban => ({
  target,
  rule: 'ban/manual',
  createdAt: 0,
  until: 1,
  reason: '',
  source: 'manual',
});

test('parseBanTarget: canonical ids so that equal targets are one ban', () => {
  const cases: [string, string | null][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7/32', '203.0.113.7'],
    ['203.0.113.77/24', '203.0.113.0/24'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0:0::1', '20010db8:0:0:1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['203.0.113.7/33', null],
    ['203.0.113', null],
    ['203.0.113.07', null],
    ['2001:db8::/129', null],
    ['10.0.0.0/-1', null],
    ['', null],
    ['x'.repeat(100), null],
  ];
  for (const [input, id] of cases) assert.equal(parseBanTarget(input)?.id ?? null, id, input);
  assert.equal(parseBanTarget('2001:DB8::1')!.id, parseBanTarget('2001:db8:0:0:0:0:0:1')!.id);
  assert.equal(
    parseBanTarget('2001:db8:aa::/48')!.id,
    parseBanTarget('2001:db8:aa:ffff::/48')!.id,
    'host bits are masked',
  );
});

test('BanIndex: /0 covers everything of its family, and deletions shrink the lengths scanned', () => {
  const idx = new BanIndex();
  const all4 = parseBanTarget('0.0.0.0/0')!;
  idx.set(all4, ban('0.0.0.0/0'));
  assert.notEqual(idx.find('198.51.100.1'), null);
  assert.equal(idx.find('2001:db8::1'), null, 'an IPv4 range does not cover IPv6');
  const all6 = parseBanTarget('::/0')!;
  idx.set(all6, ban('::/0'));
  assert.notEqual(idx.find('2001:db8::1'), null);
  idx.delete(all4);
  idx.delete(all6);
  assert.equal(idx.find('198.51.100.1'), null);
  assert.equal(idx.find('2001:db8::1'), null);
});

test('BanIndex: an IPv6 /64 ban covers its hosts and zone ids are ignored', () => {
  const idx = new BanIndex();
  idx.set(parseBanTarget('2001:db8:1:2::/64')!, ban('2001:db8:1:2::/64'));
  assert.notEqual(idx.find('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), null);
  assert.notEqual(idx.find('2001:db8:1:2::1%eth0'), null);
  assert.equal(idx.find('2001:db8:1:3::1'), null);
  assert.equal(idx.find('not-an-ip'), null);
});
