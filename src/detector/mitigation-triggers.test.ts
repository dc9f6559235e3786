// LoadSince: the run of loaded seconds after an incident's last action that a
// widening reaching the people known before the surge waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadSince } from './mitigation-triggers.js';

/** Notes the seconds after a reset ("100 95 -": forwarded per loaded second, "-" one not loaded); sustained(3, last)? */
function after(seconds: string, l = new LoadSince()): boolean {
  l.reset();
  let last = 0;
  for (const x of seconds.split(' ')) {
    last = x === '-' ? 3 : Number(x);
    l.note(x !== '-', last);
  }
  return l.sustained(3, last);
}

test('LoadSince: three loaded seconds that hold are sustained; a backlog draining, a dip or too few seconds are not', () => {
  const cases: [string, boolean, string][] = [
    ['100 95 104', true, 'a load that holds'],
    ['107 89 47', false, 'falling off: a backlog draining'],
    ['107 100 84', false, 'a slow drain: under 0.8× the first'],
    ['100 100', false, 'two seconds only'],
    ['100 - 100 100', false, 'a dip starts the count again'],
    ['100 - 100 100 120', true, 'three more after it'],
    ['60 120 200', true, 'rising'],
  ];
  for (const [seconds, sustained, why] of cases) assert.equal(after(seconds), sustained, `${seconds}: ${why}`);
  const l = new LoadSince();
  assert.equal(after('100 100 100', l), true);
  l.reset();
  assert.equal(l.sustained(3, 100), false, 'an action starts the count again');
});
