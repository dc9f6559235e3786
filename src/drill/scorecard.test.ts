import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeToMitigation } from './scorecard.js';

test('time to mitigation: first second from which ≥ 95% of the attack is kept from the origin', () => {
  const rows: [string, number[], number[], number | null][] = [
    ['clean from the start', [100, 100, 100], [0, 1, 0], 0],
    ['leaks two seconds, then clean', [100, 100, 100, 100, 100], [100, 60, 3, 0, 0], 2],
    ['never mitigated', [100, 100, 100], [100, 100, 90], null],
    ['late relapse resets it', [100, 100, 100, 100], [90, 0, 0, 50], null],
    ['a one-second lag of a few requests is tolerated', [100, 100, 0, 0], [80, 4, 2, 0], 1],
    ['pulse: quiet seconds do not count against it', [300, 0, 0, 300, 0, 0], [300, 0, 0, 5, 0, 0], 1],
    ['no attack sent at all', [0, 0, 0], [0, 0, 0], null],
  ];
  for (const [name, sent, reached, want] of rows) assert.equal(timeToMitigation(sent, reached), want, name);
});
