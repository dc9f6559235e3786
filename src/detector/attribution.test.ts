import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAttribution, type AttributionObserved } from './attribution.js';

const req = (
  clientKey: number,
  country: string,
  asn: number,
  extra: Partial<AttributionObserved> = {},
): AttributionObserved => ({
  clientKey,
  country,
  asn,
  verified: false,
  status: 200,
  originMs: 10,
  verdict: { action: 'allow' },
  req: { headers: { 'user-agent': 'curl/8' } },
  ...extra,
});

test('requests and distinct sources by country and ASN; unknowns counted apart; epochs reset', () => {
  const a = createAttribution();
  for (let i = 0; i < 300; i++)
    a.observe(req(1000 + (i % 100), i % 100 < 60 ? 'DE' : 'BR', i % 100 < 60 ? 3320 : 28573));
  for (let i = 0; i < 10; i++) a.observe(req(5000, '', 0));
  const s = a.snapshot();
  assert.equal(s.requests, 310);
  assert.equal(s.sources, 101);
  assert.deepEqual(
    s.countries.map((c) => [c.key, c.requests, c.sources]),
    [
      ['DE', 180, 60],
      ['BR', 120, 40],
    ],
  );
  assert.deepEqual(
    s.asns.map((c) => [c.key, c.requests, c.sources]),
    [
      ['AS3320', 180, 60],
      ['AS28573', 120, 40],
    ],
  );
  assert.deepEqual(s.unknownCountry, { requests: 10, sources: 1 });
  assert.deepEqual(s.unknownAsn, { requests: 10, sources: 1 });
  a.newEpoch();
  assert.equal(a.snapshot().requests, 0);
  a.observe(req(1000, 'DE', 3320));
  assert.equal(a.snapshot().sources, 1, 'a source seen before the epoch counts again');
});

test('impact seconds split verified and others; browser-like headers counted among unverified', () => {
  const a = createAttribution();
  a.observe(req(1, 'DE', 1, { verified: true, originMs: 30 }));
  a.observe(req(2, 'DE', 1, { status: 429, verdict: { action: 'limit' }, originMs: -1 }));
  a.observe(
    req(3, 'DE', 1, {
      req: { headers: { 'user-agent': 'Mozilla/5.0 X', 'accept-language': 'de', 'sec-fetch-mode': 'navigate' } },
    }),
  );
  const s = a.closeSecond();
  assert.deepEqual(s.verified, { requests: 1, served: 1, originMsSum: 30, originCount: 1 });
  assert.deepEqual(s.others, { requests: 2, served: 1, originMsSum: 10, originCount: 1 });
  assert.equal(s.browserLike, 1);
  assert.equal(a.closeSecond().others.requests, 0, 'reset after reading');
});

test("served: the origin's own 4xx and a challenge page are answers; refusals, sheds, 5xx and timeouts are not", () => {
  const a = createAttribution();
  a.observe(req(1, 'DE', 1, { verified: true, status: 404 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 401 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 403, verdict: { action: 'serve' }, originMs: -1 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 503, verdict: { action: 'limit' }, originMs: -1 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 403, verdict: { action: 'deny' }, originMs: -1 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 502 }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 504, verdict: { action: 'error' } }));
  a.observe(req(1, 'DE', 1, { verified: true, status: 0, originMs: -1 }));
  const s = a.closeSecond();
  assert.equal(s.verified.requests, 8);
  assert.equal(s.verified.served, 3);
});

test('ASN table stays bounded under many networks', () => {
  const a = createAttribution();
  for (let i = 0; i < 5000; i++) a.observe(req(i, 'US', 1 + i));
  const s = a.snapshot(300);
  assert.ok(s.asns.length <= 256);
  assert.ok(s.asnError > 0);
});

test('known clients: seen a generation before the incident count with the verified; newcomers do not', () => {
  const a = createAttribution();
  a.observe(req(7, 'DE', 1));
  for (let i = 0; i < 6; i++) a.closeSecond(); // two generations: address 7 is now known
  a.observe(req(8, 'DE', 1)); // seen just before the incident: not yet known
  a.closeSecond();
  a.newEpoch();
  a.observe(req(7, 'DE', 1));
  a.observe(req(8, 'DE', 1));
  a.observe(req(9, 'DE', 1));
  const s = a.closeSecond();
  assert.equal(s.verified.requests, 1);
  assert.equal(s.others.requests, 2);
  for (let i = 0; i < 20; i++) a.closeSecond(); // during the incident nothing new is learned
  a.observe(req(9, 'DE', 1));
  assert.equal(a.closeSecond().others.requests, 1);
});
