// The demo's user flow through a real shield, demo origin and drill: the shield
// sits idle for a few seconds (its warm-up must not count them), then a login
// drill: legit users browse (their first traffic is not an attack), then the
// credential-stuffing flood is detected, named login_stuffing (not a donate
// or form flood) and mitigated. No timing assertions: order of events only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttackStartEvent, DetectorEvent } from '../../src/detector/events.js';
import { startDemoOrigin } from '../../src/demo/origin.js';
import { runDrill } from '../../src/drill/run.js';
import { parseTarget } from '../../src/drill/target.js';
import { startShield } from '../helpers/shield.js';
import { waitFor } from '../helpers/wait.js';

test('idle shield, then a login drill: no incident before the attack, then login_stuffing mitigated', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 64 });
  const shield = await startShield(origin.url, { detector: { warmup: '3s' } });
  const starts: AttackStartEvent[] = [];
  shield.detector!.onEvent((e: DetectorEvent) => {
    if (e.type === 'attack_start') starts.push(e);
  });
  try {
    // Idle seconds, as many as the warm-up: before the fix they completed it on an empty baseline.
    await waitFor(() => shield.detector!.snapshot().series.t.length >= 3, {
      what: 'three idle seconds closed by the detector',
    });
    const card = await runDrill({
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'login',
      users: 20,
      rate: 300,
      sources: 300,
      warmupMs: 7000,
      durationMs: 5000,
      thinkMs: [800, 2000],
      originStats: `${origin.url}/__demo/stats`,
    });
    const attackAt = Date.parse(card.startedAt) + card.warmupS * 1000;
    assert.ok(starts.length >= 1, 'the flood opened an incident');
    // Samples are stamped with their second's start: the attack's first second starts up to 1 s before attackAt.
    assert.ok(
      starts[0].sample.t >= attackAt - 1000,
      `an incident opened during the legit warm-up: ${starts[0].vectors.map((v) => v.reason).join('; ')}`,
    );
    const vectors = starts.flatMap((s) => s.vectors.map((v) => v.vector));
    assert.ok(vectors.includes('login_stuffing'), vectors.join());
    assert.ok(!vectors.includes('form_flood'), vectors.join());
    // Mitigated: attack requests answered by the shield's challenge or a mitigation, not the origin.
    const refused = Object.entries(card.attack.refusedByRule)
      .filter(([rule]) => /^(challenge|mitigate|limit|ban)\//.test(rule))
      .reduce((a, [, n]) => a + n, 0);
    assert.ok(refused > 0, JSON.stringify(card.attack.refusedByRule));
    assert.ok(card.legit.before.requests > 0);
    assert.equal(
      card.legit.before.requests,
      card.legit.before.served,
      `legit refused before the attack: ${JSON.stringify(card.legit.before)}`,
    );
  } finally {
    await shield.stop();
    await origin.close();
  }
});
