import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verdict, ALLOW } from './model.js';
import { OUTCOMES, outcomeOf, outcomeRecord } from './outcome.js';

const name = (i: number) => OUTCOMES[i];

test('every verdict lands in exactly one outcome', () => {
  const rows: [ReturnType<typeof verdict>, number, string][] = [
    [ALLOW, 12, 'forwarded'],
    [ALLOW, -1, 'unanswered'],
    [verdict('allow/list', 'allow', 200), 3, 'forwarded'],
    [verdict('cache/hit', 'serve', 200), -1, 'cache'],
    [verdict('cache/stale', 'serve', 200), 40, 'cache'],
    [verdict('challenge/required', 'serve', 403), -1, 'challenged'],
    [verdict('challenge/cookie', 'serve', 307), -1, 'challenged'],
    [verdict('origin/shed', 'limit', 503, 1), -1, 'shed'],
    [verdict('origin/timeout', 'error', 504), 30_000, 'forwarded'],
    [verdict('origin/unavailable', 'error', 502), -1, 'origin'],
    [verdict('ban/listed', 'deny', 403), -1, 'ban'],
    [verdict('limit/login', 'limit', 429), -1, 'limit'],
    [verdict('mitigate/limit-signature', 'limit', 429), -1, 'mitigate'],
    [verdict('parse/bad-request', 'deny', 400), -1, 'other'],
    [verdict('guard/conn-limit', 'drop', 429), -1, 'other'],
  ];
  for (const [v, ms, want] of rows) assert.equal(name(outcomeOf(v, ms)), want, `${v.rule} ${ms}`);
});

test('outcomeRecord keeps the non-zero counts by name', () => {
  const c = new Float64Array(OUTCOMES.length);
  c[0] = 5;
  c[2] = 7;
  assert.deepEqual(outcomeRecord(c), { forwarded: 5, challenged: 7 });
});
