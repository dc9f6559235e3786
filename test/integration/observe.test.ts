// `detector.enforcement: observe` (shadow mode) holds on the request path,
// not only in the detector: a crowd of new tool clients that the surge guard
// sends through the cookie check when enforcing is forwarded untouched when
// the configuration says observe, and the challenge stage counts what it
// would have checked. The same crowd against an enforcing shield is checked
// (so the test can fail). Status, metrics and the answer to setting
// `enforce` through the API show the configured observe. Real sockets, one process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startDemoOrigin } from '../../src/demo/origin.js';
import { startShield } from '../helpers/shield.js';

/** 300 requests at once from 300 new addresses, no user agent (a tool), no cookie: verdicts counted. */
async function crowd(port: number): Promise<Map<string, number>> {
  const verdicts = new Map<string, number>();
  // Sixteen keep-alive connections: the connection guard's per-peer cap is not the subject.
  const dispatcher = new Agent({ connections: 16 });
  await Promise.all(
    Array.from({ length: 300 }, async (_, i) => {
      const r = await request(`http://127.0.0.1:${port}/materials`, {
        headers: { 'x-forwarded-for': `198.51.${i >> 8}.${i & 255}` },
        dispatcher,
      });
      await r.body.dump();
      const v = String(r.headers['rampart-verdict'] ?? r.statusCode);
      verdicts.set(v, (verdicts.get(v) ?? 0) + 1);
    }),
  );
  await dispatcher.close();
  return verdicts;
}

for (const enforcement of ['enforce', 'observe'] as const) {
  test(`a crowd of new tool clients with detector.enforcement ${enforcement}`, async () => {
    const origin = await startDemoOrigin({ maxConcurrency: 512 });
    const shield = await startShield(origin.url, {
      trusted_proxies: ['127.0.0.0/8'],
      detector: { enforcement },
    });
    try {
      const verdicts = await crowd(shield.port);
      const checked = verdicts.get('challenge/cookie') ?? 0;
      const stats = shield.challengeStats()!;
      if (enforcement === 'enforce') {
        assert.ok(checked > 0, `the surge guard checks the crowd: ${JSON.stringify([...verdicts])}`);
      } else {
        assert.equal(checked, 0, `nothing is checked in shadow mode: ${JSON.stringify([...verdicts])}`);
        assert.equal(
          [...verdicts.keys()].filter((v) => !v.startsWith('default/') && !v.startsWith('cache/')).length,
          0,
          `every request forwarded or served from cache: ${JSON.stringify([...verdicts])}`,
        );
        assert.ok(stats.wouldCheck > 0, `what it would have checked is counted: ${JSON.stringify(stats)}`);
      }
      // The admin API and the metrics say what is in force, the configuration's setting included; an
      // operator's `enforce` does not lift a configured observe.
      const admin = shield.control.url();
      const auth = { authorization: `Bearer ${shield.control.token()}` };
      const status = (await (await request(`${admin}/api/status`, { headers: auth })).body.json()) as {
        enforcement: string;
      };
      assert.equal(status.enforcement, enforcement);
      const metrics = await (await request(`${admin}/metrics`, { headers: auth })).body.text();
      assert.match(metrics, new RegExp(`^rampart_enforcement_observe ${enforcement === 'observe' ? 1 : 0}$`, 'm'));
      const set = await request(`${admin}/api/mode`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ enforcement: 'enforce' }),
      });
      assert.equal(((await set.body.json()) as { enforcement: string }).enforcement, enforcement);
    } finally {
      await shield.stop();
      await origin.close();
    }
  });
}
