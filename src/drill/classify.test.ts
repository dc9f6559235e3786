import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from './legit.js';
import { cameFromOrigin } from './recorder.js';
import type { Reply } from './client.js';

const reply = (status: number, verdict = '', error = ''): Reply => ({
  status,
  verdict,
  body: '',
  setCookie: [],
  location: '',
  ms: 1,
  error,
});

test('legit outcomes: served, refused by the proxy, or failed at the origin/network', () => {
  const rows: [Reply, string, string, string][] = [
    [reply(200, 'default/allow'), '', 'served', ''],
    [reply(303, 'default/allow'), '', 'served', ''],
    [reply(200, 'cache/hit'), '', 'served', ''],
    [reply(429, 'limit/login'), '', 'refused', 'limit/login'],
    [reply(403, 'ban/auto-flood'), '', 'refused', 'ban/auto-flood'],
    [reply(503, 'origin/shed'), '', 'refused', 'origin/shed'],
    [reply(403, 'challenge/required'), 'no interstitial to solve', 'refused', 'challenge/required'],
    [reply(502, 'origin/unavailable'), '', 'failed', 'origin/unavailable'],
    [reply(503, 'default/allow'), '', 'failed', 'status/503'],
    [reply(429), '', 'refused', 'status/429'],
    [reply(503), '', 'failed', 'status/503'],
    [reply(0, '', 'UND_ERR_HEADERS_TIMEOUT'), '', 'failed', 'error/UND_ERR_HEADERS_TIMEOUT'],
  ];
  for (const [r, chErr, outcome, rule] of rows)
    assert.deepEqual(classify(r, chErr), { outcome, rule }, JSON.stringify(r));
});

test('attack answers: only forwarded ones count as reaching the origin (client-side reading)', () => {
  assert.equal(cameFromOrigin(200, 'default/allow', ''), true);
  assert.equal(cameFromOrigin(404, 'default/allow', ''), true);
  assert.equal(cameFromOrigin(200, 'cache/hit', ''), false);
  assert.equal(cameFromOrigin(403, 'challenge/required', ''), false);
  assert.equal(cameFromOrigin(429, 'mitigate/limit-signature', ''), false);
  assert.equal(cameFromOrigin(200, '', ''), true);
  assert.equal(cameFromOrigin(429, '', ''), false);
  assert.equal(cameFromOrigin(0, '', 'ECONNRESET'), false);
});
