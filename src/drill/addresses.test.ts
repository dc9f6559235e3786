import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopbackSource, parsePublicPlan } from './addresses.js';
import { UsageError } from '../core/errors.js';

test('loopback sources are distinct, inside 127.0.0.0/8, and spread over /24s first', () => {
  const seen = new Set<string>();
  const prefixes = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const a = loopbackSource('attack', i);
    assert.match(a, /^127\.\d+\.\d+\.\d+$/);
    const o = a.split('.').map(Number);
    assert.ok(o.every((x) => x >= 0 && x <= 255) && o[3] >= 2, a);
    seen.add(a);
    if (i < 256) prefixes.add(o.slice(0, 3).join('.'));
  }
  assert.equal(seen.size, 3000);
  assert.equal(prefixes.size, 256);
  assert.notEqual(loopbackSource('legit', 0), loopbackSource('attack', 0));
  assert.throws(() => loopbackSource('attack', -1), RangeError);
});

test('public plan: weights shape the split, addresses stay inside their ranges, same index same address', () => {
  const plan = parsePublicPlan('203.0.113.0/24=3, 198.51.100.7');
  let a = 0;
  let b = 0;
  for (let i = 0; i < 4000; i++) {
    const ip = plan.addressOf(i);
    if (ip.startsWith('203.0.113.')) {
      a++;
      const last = Number(ip.split('.')[3]);
      assert.ok(last >= 1 && last <= 254, ip);
    } else {
      assert.equal(ip, '198.51.100.7');
      b++;
    }
  }
  assert.ok(Math.abs(a / 4000 - 0.75) < 0.03, `share ${a / 4000}`);
  assert.equal(a + b, 4000);
  assert.equal(plan.addressOf(17), plan.addressOf(17));
});

test('public plan: bad lists get clear errors', () => {
  for (const bad of [
    '',
    'nonsense',
    '203.0.113.0/33',
    '203.0.113.0/24=0',
    '203.0.113.0/24=x',
    '10.0.0.0/8',
    '127.0.0.1',
    '2001:db8::/32',
  ]) {
    assert.throws(
      () => parsePublicPlan(bad),
      (e: unknown) => e instanceof UsageError && e.message.startsWith('--xff') && e.hint.length > 0,
      bad,
    );
  }
});
