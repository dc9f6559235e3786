// The `client` limit key: one bucket per TLS/HTTP2 client fingerprint
// (ctx.clientFp), its own rule name; requests without one (plain HTTP, or
// fingerprints off) are never counted against a shared zero key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { policySchema } from '../config/schema/policy.js';
import { RequestContext } from '../core/model.js';
import { compileLimits } from './limits.js';

function ctx(clientKey: number, clientFp: number): RequestContext {
  const c = new RequestContext({} as never, {} as never);
  c.clientKey = clientKey;
  c.prefixKey = clientKey & 0xffffff00;
  c.clientFp = clientFp;
  return c;
}

test('limit/client: per TLS/HTTP2 fingerprint across addresses; no fingerprint, no bucket', () => {
  const cfg = camelize(
    policySchema.parse({
      rate_limits: { default: { address: 'off', prefix: 'off', client: { rate: '1/s', burst: 3 } } },
    }),
  ).rateLimits;
  const limits = compileLimits(cfg, ['page'])!;
  const now = 1_000_000;
  const verdicts = Array.from({ length: 5 }, (_, i) => limits.check(ctx(0x0a000001 + i, 77), 0, now)?.rule ?? 'ok');
  assert.deepEqual(
    verdicts,
    ['ok', 'ok', 'ok', 'limit/client', 'limit/client'],
    'five addresses, one client fingerprint: one bucket',
  );
  assert.equal(limits.check(ctx(0x0a000009, 78), 0, now), null, 'another fingerprint has its own bucket');
  for (let i = 0; i < 10; i++)
    assert.equal(limits.check(ctx(0x0b000001 + i, 0), 0, now), null, 'plain HTTP requests are not limited by this key');
  assert.equal(limits.stats().tracked.address, 0);
});
