// The policy: schema: human rates, limit shorthands, class defaults merged
// with the operator's, and clear errors for bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate, policySchema } from './policy.js';

test('rates: per second, minute, hour; bare numbers are per second; zero and junk are refused', () => {
  const good: [string | number, number][] = [
    ['20/s', 20],
    ['600/m', 10],
    ['90/h', 0.025],
    ['1.5/sec', 1.5],
    [' 30 / min ', 0.5],
    [7, 7],
  ];
  for (const [v, r] of good) assert.equal(parseRate(v), r, String(v));
  for (const bad of ['0/s', '-1/s', 'fast', '20', '20/d', '', 0, -3, Infinity])
    assert.ok(Number.isNaN(parseRate(bad)), String(bad));
});

test('limit shorthands: "off", a rate (burst = 10 s worth), or { rate, burst }', () => {
  const c = policySchema.parse({
    rate_limits: {
      default: { address: '5/s', prefix: 'off', fingerprint: { rate: '1/m' }, route: { rate: 100, burst: 7 } },
    },
  });
  assert.deepEqual(c.rate_limits.default, {
    address: { rate: 5, burst: 50 },
    prefix: null,
    fingerprint: { rate: 1 / 60, burst: 1 },
    route: { rate: 100, burst: 7 },
    client: null,
  });
});

test('class defaults stay unless the class names the key itself', () => {
  const c = policySchema.parse({ rate_limits: { classes: { login: { address: '1/m' }, api: { address: 'off' } } } });
  assert.deepEqual(c.rate_limits.classes.login.prefix, { rate: 5, burst: 300 }, 'built-in login prefix default kept');
  assert.deepEqual(c.rate_limits.classes.login.address, { rate: 1 / 60, burst: 1 });
  assert.equal(c.rate_limits.classes.api.address, null);
  assert.ok(c.rate_limits.classes.static.address, 'untouched classes keep their defaults');
});

test('errors name the key and give a hint', () => {
  const r = policySchema.safeParse({ rate_limits: { default: { address: { rate: '3/s', burst: 0, extra: 1 } } } });
  assert.ok(!r.success);
  const msgs = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  assert.ok(
    msgs.some((m) => m.startsWith('rate_limits.default.address.burst: burst must be a whole number')),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => m.startsWith('rate_limits.default.address.extra: unknown key "extra"')),
    msgs.join('\n'),
  );
  const b = policySchema.safeParse({ bans: { action: 'reject' } });
  assert.ok(!b.success && b.error.issues.some((i) => i.path.join('.') === 'bans.action'));
});
