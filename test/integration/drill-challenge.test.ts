// Legit drill users meet Rampart's real challenge through the full app
// (challenge.require: always, in front of the demo origin) and get through it
// like a browser: they read the interstitial, solve the proof of work, post
// it, keep the pass cookie and finish their sessions — donate POSTs included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemoOrigin } from '../../src/demo/origin.js';
import { runDrill } from '../../src/drill/run.js';
import { parseTarget } from '../../src/drill/target.js';
import { startShield } from '../helpers/shield.js';

test('legit users solve the challenge once each and complete their sessions', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const shield = await startShield(origin.url, {
    challenge: { require: 'always', difficulty: { elevated: 8, under_attack: 8, manual: 8 } },
  });
  try {
    const card = await runDrill({
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'newsletter',
      users: 4,
      warmupMs: 1000,
      durationMs: 3000,
      thinkMs: [100, 300],
    });
    const users = 4 + 4 * 3; // regulars + the newsletter burst
    const all = card.legit.before.requests + card.legit.during.requests;
    assert.equal(card.legit.falsePositives, 0, JSON.stringify([card.legit.before.byRule, card.legit.during.byRule]));
    assert.ok(
      card.legit.challengesSolved >= 4 && card.legit.challengesSolved <= users,
      `solved ${card.legit.challengesSolved}`,
    );
    assert.equal(card.legit.before.challenged + card.legit.during.challenged, card.legit.challengesSolved);
    assert.ok(
      card.legit.sessions.completed >= 4 && card.legit.sessions.broken === 0,
      JSON.stringify(card.legit.sessions),
    );
    assert.equal(card.legit.before.served + card.legit.during.served, all);
    // Requests reached the origin with their pass (POST /donate is never cached); the rest came from the micro-cache.
    const o = origin.stats();
    assert.ok((o.byRoute['/donate'] ?? 0) > 0);
    assert.ok(o.legit > 0 && o.legit <= all, `origin saw ${o.legit} legit requests, the drill sent ${all}`);
  } finally {
    await shield.stop();
    await origin.close();
  }
});
