// Identifier walks on a route nobody declared sensitive, through a real app on
// its default configuration: three scrapers that keep their cookies walk
// /api/receipts/{hex} at a modest rate (far under any per-address limit, no
// volume anomaly); the template watch names the walk, the walkers are
// banned (ban/auto-enumeration), the incident carries the template, and the
// evidence record's data-exposure section covers it by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { CookieJars } from '../helpers/cookie-jar.js';
import { waitFor } from '../helpers/wait.js';

function get(port: number, path: string, ip: string, jars: CookieJars): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress: ip,
        agent: false,
        headers: jars.with(ip, { host: '127.0.0.1', 'user-agent': 'python-requests/2.31', accept: 'application/json' }),
      },
      (res) => {
        jars.keep(ip, res.headers);
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('identifier walk on an undeclared route: detected by its template, walkers banned, exposure watched by itself', async () => {
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, {});
  const jars = new CookieJars();
  try {
    const walkers = ['127.0.4.1', '127.0.4.2', '127.0.4.3'];
    let next = 0x0a3f0000;
    const refused = new Set<string>();
    await waitFor(
      async () => {
        await Promise.all(
          walkers.map(async (ip) => {
            const st = await get(shield.port, `/api/receipts/${(next += 7).toString(16).padStart(10, '0')}`, ip, jars);
            if (st === 0 || st === 403) refused.add(ip);
          }),
        );
        await new Promise((r) => setTimeout(r, 100));
        return walkers.every((ip) => shield.state.isBanned(ip, Date.now()) !== null);
      },
      {
        what: 'the walkers banned',
        timeoutMs: 30_000,
        seen: () =>
          JSON.stringify({
            bans: shield.state.bans().map((b) => b.target),
            inc: shield.detector!.snapshot().incident?.vectors,
            refused: [...refused],
            series: shield.detector!.snapshot().series.requests.slice(-5),
          }),
      },
    );
    const bans = shield.state.bans().filter((b) => walkers.includes(b.target));
    assert.ok(
      bans.every((b) => b.rule === 'ban/auto-enumeration'),
      JSON.stringify(bans.map((b) => b.rule)),
    );
    assert.match(bans[0].reason, /distinct identifiers of \/api\/receipts\/\{id\}/);
    const inc = shield.detector!.snapshot().incident;
    assert.ok(inc, 'an incident');
    const v = inc.vectors.find((x) => x.vector === 'enumeration');
    assert.ok(v?.templates?.includes('/api/receipts/{id}'), JSON.stringify(inc.vectors));
    const store = shield.evidence!.store;
    await waitFor(
      () => {
        const rec = store.get(shield.evidence!.active()?.id ?? inc.id);
        return rec?.exposure?.templates?.includes('/api/receipts/{id}') === true;
      },
      { what: "the record's exposure covers the template", timeoutMs: 15_000 },
    );
  } finally {
    await shield.stop();
    await origin.close();
  }
});
