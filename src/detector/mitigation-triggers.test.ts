// LoadSince: the run of loaded seconds after an incident's last action that a
// widening reaching the people known before the surge waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadSince } from './mitigation-triggers.js';

/** Notes `seconds` ([loaded, forwarded]) after a reset; returns sustained(3, last forwarded). */
function after(seconds: [boolean, number][], l = new LoadSince()): boolean {
  l.reset();
  for (const [loaded, fwd] of seconds) l.note(loaded, fwd);
  return l.sustained(3, seconds.length > 0 ? seconds[seconds.length - 1][1] : 0);
}

test('LoadSince: three loaded seconds that hold are sustained; a backlog draining, a dip or too few seconds are not', () => {
  assert.equal(
    after([
      [true, 100],
      [true, 95],
      [true, 104],
    ]),
    true,
    'a load that holds',
  );
  assert.equal(
    after([
      [true, 107],
      [true, 89],
      [true, 47],
    ]),
    false,
    'falling off: a backlog draining',
  );
  assert.equal(
    after([
      [true, 107],
      [true, 100],
      [true, 84],
    ]),
    false,
    'a slow drain: under 0.8× the first',
  );
  assert.equal(
    after([
      [true, 100],
      [true, 100],
    ]),
    false,
    'two seconds only',
  );
  assert.equal(
    after([
      [true, 100],
      [false, 3],
      [true, 100],
      [true, 100],
    ]),
    false,
    'a dip starts the count again',
  );
  assert.equal(
    after([
      [true, 100],
      [false, 3],
      [true, 100],
      [true, 100],
      [true, 120],
    ]),
    true,
    'three more after it',
  );
  assert.equal(
    after([
      [true, 60],
      [true, 120],
      [true, 200],
    ]),
    true,
    'rising',
  );
  const l = new LoadSince();
  after(
    [
      [true, 100],
      [true, 100],
      [true, 100],
    ],
    l,
  );
  l.reset();
  assert.equal(l.sustained(3, 100), false, 'an action starts the count again');
});
