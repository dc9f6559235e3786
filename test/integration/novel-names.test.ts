// A mitigation of novel query names through the full app, real sockets: while
// it is live, a request whose query carries a parameter name this process has
// not seen lately is challenged on any path (`/?x8fj2` too), the site's own
// names pass, nothing is novel to a book with under two seconds of traffic
// (a mitigation adopted across a restart), and without the mitigation the
// same request reaches the origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mitigation } from '../../src/core/model.js';
import { createMemoryState, type MemoryState } from '../../src/state/index.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { fetchRaw } from '../e2e/helpers/challenge-client.js';

let origin: EchoOrigin;
let state: MemoryState;
let shield: Awaited<ReturnType<typeof startShield>>;

before(async () => {
  origin = await startEchoOrigin();
  state = createMemoryState({ now: Date.now });
  await state.start();
  shield = await startShield(origin.url, {}, { state });
});
after(async () => {
  await shield.stop();
  await state.close();
  await origin.close();
});

const names = (now: number): Mitigation => ({
  id: 'inc-test-challenge-names',
  action: 'challenge',
  rule: 'mitigate/challenge-names',
  match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: true, novelNames: true },
  rate: 0,
  createdAt: now,
  until: now + 60_000,
  reason: 'test: random query parameter names',
  figures: {},
});

const verdictOf = async (path: string) => {
  const r = await fetchRaw(shield.port, path, { headers: { accept: 'text/html' } });
  return `${r.status} ${r.headers['rampart-verdict'] ?? ''}`.trim();
};

test('a live mitigation of novel names challenges random names on any path and passes the names the site uses', async () => {
  state.putMitigation(names(Date.now()));
  // The site's names, learned as the responses end; the book answers once it has two seconds of traffic.
  assert.equal(await verdictOf('/search?q=water&page=2'), '200 default/allow', 'a young book: nothing is novel');
  assert.equal(await verdictOf('/?x8fj2'), '200 default/allow', 'nor a random name');
  assert.equal(await verdictOf('/materials?v=3'), '200 default/allow');
  const detector = shield.detector!;
  for (let i = 0; i < 100 && !detector.novelQuery('zq81kx'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(detector.novelQuery('zq81kx'), true, 'two ticks later the book answers');

  assert.equal(await verdictOf('/search?q=bikes&page=7'), '200 default/allow', 'the same names, other values');
  assert.equal(await verdictOf('/materials?v=9'), '200 default/allow');
  assert.equal(await verdictOf('/'), '200 default/allow', 'no query');
  const hits = origin.received.length;
  assert.equal(await verdictOf('/?k3j9xq'), '403 challenge/required', 'a random name on /');
  assert.equal(await verdictOf('/search?q=x&zzq7w=1'), '403 challenge/required', 'one random name among known ones');
  assert.equal(await verdictOf('/?p0wz8d'), '403 challenge/required', 'another');
  assert.equal(origin.received.length, hits, 'none of them reached the origin');
  assert.equal(await verdictOf('/?k3j9xq'), '200 default/allow', 'a name seen, refused or not, is learned');

  assert.equal(state.removeMitigation('inc-test-challenge-names'), true);
  assert.equal(await verdictOf('/?m4qq2z'), '200 default/allow', 'the mitigation gone, a random name is served');
});
