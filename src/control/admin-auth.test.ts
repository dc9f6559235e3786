// Bearer-token checks with a manual clock: codes per failure kind, lockout
// after 5 failures per address for the rest of the window, other addresses
// unaffected, the tracking table bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../core/clock.js';
import { createAdminAuth } from './admin-auth.js';

const TOKEN = 'abcdefghijklmnop-0123';

test('missing, malformed and wrong tokens get 401/401/403; the right one passes', () => {
  const a = createAdminAuth({ token: TOKEN, now: () => 0 });
  const cases: [string | undefined, number | 'ok'][] = [
    [undefined, 401],
    ['Basic xyz', 401],
    ['Bearer', 401],
    [`Bearer ${TOKEN}x`, 403],
    [`Bearer ${TOKEN.slice(0, -1)}`, 403],
    [`bearer ${TOKEN}`, 'ok'],
    [`Bearer ${TOKEN}`, 'ok'],
  ];
  for (const [h, want] of cases) {
    const r = a.check(h, `10.0.0.${cases.findIndex((c) => c[0] === h)}`);
    assert.equal(r.ok ? 'ok' : r.status, want, String(h));
  }
});

test('five failures lock the address for the rest of the minute, then it is forgiven', () => {
  const clock = createManualClock(1_000_000);
  const a = createAdminAuth({ token: TOKEN, now: clock.now });
  for (let i = 0; i < 5; i++) assert.equal((a.check('Bearer nope', '192.0.2.1') as { status: number }).status, 403);
  const locked = a.check(`Bearer ${TOKEN}`, '192.0.2.1');
  assert.ok(!locked.ok && locked.status === 429 && locked.retryAfter === 60);
  assert.ok(a.check(`Bearer ${TOKEN}`, '192.0.2.2').ok);
  clock.advance(30_000);
  const still = a.check(`Bearer ${TOKEN}`, '192.0.2.1');
  assert.ok(!still.ok && still.retryAfter === 30);
  clock.advance(30_000);
  assert.ok(a.check(`Bearer ${TOKEN}`, '192.0.2.1').ok);
});

test('the failure table is bounded', () => {
  const a = createAdminAuth({ token: TOKEN, now: () => 0, maxTracked: 100 });
  for (let i = 0; i < 1000; i++) a.check('Bearer x', `10.0.${i >> 8}.${i & 255}`);
  assert.equal(a.tracked(), 100);
});
