// The incident record's words for a mitigation's target: every list and
// narrowing flag of its match, so a report never says "unverified clients"
// of a challenge that only reaches moved cookie jars or the surge's new ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { match } from '../detector/mitigation-levels.js';
import { describeMatch } from './incidents-record.js';

const SINCE = Date.UTC(2026, 11, 7, 11, 20, 6);

test('a mitigation target names every narrowing its match has', () => {
  assert.equal(
    describeMatch({ match: match({ moved: true }) }),
    'unverified clients; cookie jars that moved between User-Agents',
  );
  assert.equal(
    describeMatch({ match: match({ cookieless: true, newSince: SINCE }) }),
    'unverified clients; first seen since 2026-12-07T11:20:06.000Z; without the seen cookie',
  );
  assert.equal(
    describeMatch({ match: match({ newSince: SINCE, sparesPersons: true, paths: ['/api/receipts/'] }) }),
    "paths /api/receipts/; unverified clients; first seen since 2026-12-07T11:20:06.000Z; except those that loaded a page's assets",
  );
  assert.equal(
    describeMatch({ match: match({ novelNames: true }) }),
    'unverified clients; a query parameter name not seen lately',
  );
  assert.equal(describeMatch({ match: { ...match({}), unverifiedOnly: false } }), 'all requests');
  assert.equal(describeMatch(null), '');
});
