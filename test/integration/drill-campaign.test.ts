// Short campaign plans against a real Rampart (in-process, behind a
// ShieldControl) in front of the demo origin: an attack that starts before
// the shield listens does not crash the drill (refused connections are
// errors, not reached) and is scored from the moment the shield listened; a
// restart mid-attack makes two scored phases; newsletter readers include the
// ones sharing a /24; reached counts agree with the origin's own counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startDemoOrigin, type DemoOrigin } from '../../src/demo/origin.js';
import type { AttackPlan } from '../../src/drill/campaign.js';
import { runPlan } from '../../src/drill/campaign-run.js';
import { familyPlan, TIMINGS } from '../../src/drill/families.js';
import type { ShieldControl } from '../../src/drill/shield-control.js';
import { parseTarget } from '../../src/drill/target.js';
import { startShield } from '../helpers/shield.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** An in-process shield on a fixed port that the drill can start and stop. */
function control(origin: DemoOrigin, port: number, starts: number[], stopMs = 0): ShieldControl {
  let app: Awaited<ReturnType<typeof startShield>> | null = null;
  return {
    async start() {
      app = await startShield(origin.url, { listen: `127.0.0.1:${port}` });
      starts.push(Date.now());
    },
    async stop() {
      await app?.stop();
      app = null;
      // A real `rampart start` takes seconds to come back; so does this one.
      await new Promise((r) => setTimeout(r, stopMs));
    },
    running: () => app !== null,
    describe: () => 'in-process shield',
  };
}

const small = (p: AttackPlan): AttackPlan => ({
  ...p,
  sources: 30,
  perSourceRate: 2,
  rate: 60,
  durationS: 6,
  connectionsPerSource: 1,
  notes: [],
});
const quick = { users: 3, chromium: 0, thinkMs: [100, 300] as const };

test('running at start: the attack begins before the shield listens, refused connections are errors, scoring starts when it listens', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const port = await freePort();
  const starts: number[] = [];
  const shield = control(origin, port, starts);
  try {
    const plan = small(familyPlan('botnet', { timing: TIMINGS.find((t) => t.name === 'running')!, legitRate: 2 }));
    const r = await runPlan({
      ...quick,
      plan: { ...plan, shieldStartAfterS: 2 },
      target: parseTarget(`http://127.0.0.1:${port}`),
      shield,
      originStats: `${origin.url}/__demo/stats`,
    });
    const a = r.attack!;
    assert.equal(starts.length, 1);
    assert.ok((a.byRule['error/ECONNREFUSED'] ?? 0) > 0, JSON.stringify(a.byRule));
    assert.ok(a.errors > 0);
    assert.equal(r.shieldDown.length, 1);
    assert.ok(r.shieldDown[0].toS >= 2 && r.shieldDown[0].toS < 4, JSON.stringify(r.shieldDown));
    assert.deepEqual(a.perSecond.down.slice(0, 2), [true, true]);
    assert.ok(a.phases.length === 1 && a.phases[0].fromS >= 2, JSON.stringify(a.phases));
    assert.equal(a.reachedSource, 'origin-counters');
    assert.equal(a.reached, origin.stats().attack);
    assert.ok(r.legit.nojs.downRequests > 0, 'people tried while it was down');
    assert.equal(r.legit.chromium, null);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('restart mid-attack: two scored phases, the down seconds between them not scored', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const port = await freePort();
  const starts: number[] = [];
  const shield = control(origin, port, starts, 2600);
  try {
    const plan = small(familyPlan('login', { timing: TIMINGS.find((t) => t.name === 'restart')!, legitRate: 2 }));
    const r = await runPlan({
      ...quick,
      plan: { ...plan, warmupS: 1, restartAtS: 2, durationS: 7 },
      target: parseTarget(`http://127.0.0.1:${port}`),
      shield,
      originStats: `${origin.url}/__demo/stats`,
    });
    assert.equal(starts.length, 2, 'started before the attack and again after the stop');
    assert.equal(r.shieldDown.length, 1);
    const a = r.attack!;
    assert.equal(a.phases.length, 2, JSON.stringify({ phases: a.phases, down: r.shieldDown, sent: a.perSecond.sent }));
    assert.deepEqual([a.phases[0].fromS, a.phases[1].toS], [0, 7]);
    assert.ok(a.perSecond.down.some(Boolean));
    assert.equal(a.reached, origin.stats().attack);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('newsletter: readers arrive beside the regulars, some of them from one shared /24; nobody refused on a quiet shield', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const shield = await startShield(origin.url);
  try {
    const plan = familyPlan('newsletter-nat', { timing: TIMINGS[0], legitRate: 2, readers: 12, durationS: 5 });
    const r = await runPlan({
      ...quick,
      plan: { ...plan, warmupS: 1, newsletter: { readers: 12, sharedSlash24: 6, arrivalS: 1 } },
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      shield: null,
    });
    assert.equal(r.attack, null);
    assert.equal(r.legit.nojs.people.total, 3 + 12);
    assert.equal(r.legit.all.people.limited, 0);
    assert.ok(r.legit.nojs.served > 12, `served ${r.legit.nojs.served}`);
    assert.deepEqual(Object.keys(r.targets), ['legitServed', 'legitP99', 'noPeopleChallenged', 'noPeopleLimited']);
  } finally {
    await shield.stop();
    await origin.close();
  }
});
