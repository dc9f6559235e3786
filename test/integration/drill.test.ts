// Short drills against a real Rampart in front of real origins: the scorecard
// agrees with the origin's own counters, sources really are distinct
// 127.x.y.z addresses (seen by the origin through X-Forwarded-For), --xff
// presents the planned public addresses, and non-loopback targets are refused.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoOrigin } from '../../src/demo/origin.js';
import { runDrill } from '../../src/drill/run.js';
import { parsePublicPlan } from '../../src/drill/addresses.js';
import { parseTarget } from '../../src/drill/target.js';
import { main } from '../../src/cli/main.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-drill-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const quick = { warmupMs: 1000, durationMs: 3000, thinkMs: [100, 300] as const };

test('scorecard: attack requests that reached the origin are exactly what the demo origin counted', async () => {
  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const shield = await startShield(origin.url);
  try {
    const card = await runDrill({
      ...quick,
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'botnet',
      users: 4,
      rate: 150,
      sources: 80,
    });
    const truth = origin.stats();
    assert.equal(card.attack.reachedSource, 'origin-counters');
    assert.equal(card.attack.reachedOrigin, truth.attack);
    assert.equal(
      card.attack.perSecond.reached.reduce((a, b) => a + b, 0),
      truth.attack,
    );
    assert.ok(
      card.attack.sent > 0 && card.attack.sent >= truth.attack,
      `sent ${card.attack.sent}, origin ${truth.attack}`,
    );
    // Legit requests the origin saw were all sent by the drill's users.
    const legitSent = card.legit.before.requests + card.legit.during.requests;
    assert.ok(legitSent > 0 && truth.legit > 0);
    assert.ok(truth.legit <= legitSent * 2, `origin legit ${truth.legit} vs drill ${legitSent}`); // ≤ 2 origin hits per request (challenge follow-ups)
    assert.equal(card.legit.falsePositives, card.legit.before.refused + card.legit.during.refused);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('sources are distinct 127.x.y.z addresses; --xff presents the planned public addresses', async () => {
  const echo = await startEchoOrigin();
  // The subject is the drill's addressing: the surge guard and the detector would send the botnet's
  // requests through the cookie check (they drop cookies) and keep most sources from the origin's view
  // (the second run's from the start: the first run's incident is still open).
  const shield = await startShield(echo.url, {
    trusted_proxies: ['127.0.0.0/8'],
    identity: { surge_guard: { enabled: false } },
    detector: { enabled: false },
  });
  try {
    await runDrill({
      ...quick,
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'botnet',
      users: 3,
      rate: 120,
      sources: 40,
    });
    const role = (r: (typeof echo.received)[number]) => r.headers['x-drill-role'];
    const lastHop = (r: (typeof echo.received)[number]) =>
      String(r.headers['x-forwarded-for']).split(',').pop()!.trim();
    const attackPeers = new Set(echo.received.filter((r) => role(r) === 'attack').map(lastHop));
    const legitPeers = new Set(echo.received.filter((r) => role(r) === 'legit').map(lastHop));
    assert.equal(attackPeers.size, 40, [...attackPeers].slice(0, 5).join(' '));
    for (const p of attackPeers) assert.match(p, /^127\.100\.\d+\.\d+$/);
    assert.equal(legitPeers.size, 3);
    for (const p of legitPeers) assert.match(p, /^127\.10\.\d+\.\d+$/);

    echo.received.length = 0;
    const plan = parsePublicPlan('203.0.113.0/24=3,198.51.100.0/24=1');
    await runDrill({
      ...quick,
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'botnet',
      users: 2,
      rate: 120,
      sources: 40,
      xff: plan,
    });
    const presented = echo.received
      .filter((r) => role(r) === 'attack')
      .map((r) => String(r.headers['x-forwarded-for']).split(',')[0].trim());
    assert.ok(presented.length > 0);
    const byRange = { a: new Set<string>(), b: new Set<string>() };
    for (const ip of presented) {
      assert.match(ip, /^(203\.0\.113|198\.51\.100)\.\d+$/);
      (ip.startsWith('203.') ? byRange.a : byRange.b).add(ip);
    }
    const share = byRange.a.size / (byRange.a.size + byRange.b.size);
    assert.ok(share > 0.5 && share < 0.95, `share of 203.0.113.0/24: ${share}`);
  } finally {
    await shield.stop();
    await echo.close();
  }
});

test('rampart drill CLI: writes the JSON scorecard; refuses non-loopback targets and bad flags clearly', async () => {
  const errs: string[] = [];
  const outs: string[] = [];
  const cli = (args: string[]) =>
    main(
      ['drill', ...args],
      (s) => outs.push(s),
      (s) => errs.push(s),
    );
  assert.equal(await cli(['--target', 'http://192.0.2.10:8080']), 1);
  assert.match(errs.pop()!, /refusing to attack 192\.0\.2\.10: drills only target loopback.*\n {2}hint: .*staging/s);
  assert.equal(await cli(['--target', 'http://[2001:db8::1]:80']), 1);
  assert.match(errs.pop()!, /refusing to attack \[2001:db8::1\]/);
  assert.equal(await cli(['--target', 'http://[::1]:8080']), 1);
  assert.match(errs.pop()!, /::1 is not supported[\s\S]*127\.0\.0\.1/);
  for (const [args, re] of [
    [['--target', 'http://127.0.0.1:9', '--scenario', 'nope'], /unknown scenario "nope"/],
    [['--target', 'http://127.0.0.1:9', '--duration', 'forever'], /--duration is not a duration/],
    [['--target', 'http://127.0.0.1:9', '--users=-3'], /--users must be a whole number/],
    [['--target', 'http://127.0.0.1:9', '--xff', '10.0.0.0/8'], /--xff: 10\.0\.0\.0\/8 is loopback or private/],
    [['--target', 'http://127.0.0.1:9', '--origin-stats', 'http://203.0.113.5/stats'], /--origin-stats/],
    [['--target', 'ftp://127.0.0.1:9'], /must be an http:\/\/ URL/],
    [['--taget', 'http://127.0.0.1:9'], /unknown flag --taget[\s\S]*did you mean --target/],
  ] as const) {
    assert.equal(await cli([...args]), 1, args.join(' '));
    assert.match(errs.pop()!, re);
  }
  assert.equal(await cli(['--help']), 0);
  assert.match(outs.pop()!, /--scenario NAME\|all[\s\S]*low-and-slow/);

  const origin = await startDemoOrigin({ maxConcurrency: 32 });
  const shield = await startShield(origin.url);
  try {
    const file = join(dir, 'card.json');
    const code = await cli([
      '--target',
      `http://127.0.0.1:${shield.port}`,
      '--scenario',
      'single-source',
      '--duration',
      '2s',
      '--warmup',
      '1s',
      '--users',
      '2',
      '--attack-rate',
      '100',
      '--think',
      '100ms-300ms',
      '--json',
      file,
    ]);
    assert.ok(code === 0 || code === 2, `exit ${code}: ${errs.join('\n')}`);
    const card = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(card.scenario, 'single-source');
    assert.equal(card.attack.reachedOrigin, origin.stats().attack);
    assert.equal(card.attack.sources, 1);
    assert.match(outs.join('\n'), /Drill: single-source[\s\S]*time to mitigation[\s\S]*targets: /);
    assert.equal(
      code === 0,
      Object.values(card.targets as Record<string, { ok: boolean }>).every((t) => t.ok),
    );
  } finally {
    await shield.stop();
    await origin.close();
  }
});
