// A restart keeps what the shield learned (src/app/persist.ts, data_dir/learned.sqlite):
// a real app browsed until warm, a manual ban, then stopped and started again
// on the same data_dir — the new process is warm from its first second, the
// ban refuses at once, the seen cookie the first process set still verifies
// (the signing keys were kept), and the client book remembers who was here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

const DETECTOR = { warmup: '3s', min_rps: 5 };
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

function get(
  port: number,
  path: string,
  localAddress: string,
  cookie = '',
): Promise<{ status: number; verdict: string; setCookie: string[] }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: '127.0.0.1', 'user-agent': BROWSER, accept: 'text/html' };
    if (cookie) headers.cookie = cookie;
    const req = request({ host: '127.0.0.1', port, path, localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          verdict: String(res.headers['rampart-verdict'] ?? ''),
          setCookie: res.headers['set-cookie'] ?? [],
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

test('restart: baselines, bans, signing keys and the client book come back from data_dir', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-restart-'));
  const origin = await startEchoOrigin();
  try {
    const first = await startShield(origin.url, { data_dir: dir, detector: DETECTOR });
    // Browse (browsers keep their cookies) until the detector is warm; real time drives the tick, bounded.
    const jar = new Map<string, string>();
    for (let i = 0; i < 400 && !first.detector!.snapshot().warm; i++) {
      const ip = `127.0.3.${1 + (i % 20)}`;
      const r = await get(first.port, `/page/${i % 5}`, ip, jar.get(ip) ?? '');
      const set = r.setCookie.map((c) => c.split(';')[0]).join('; ');
      if (set) jar.set(ip, set);
      await new Promise((res) => setTimeout(res, 25));
    }
    const cookie = jar.get('127.0.3.1') ?? '';
    assert.ok(first.detector!.snapshot().warm, 'the first process learned a baseline');
    assert.match(cookie, /^rampart_seen=/, 'the first response set the seen cookie');
    const learned = first.detector!.snapshot().baseline;
    first.state.addBan({
      target: '127.0.3.99',
      rule: 'ban/manual',
      createdAt: Date.now(),
      until: Date.now() + 600_000,
      reason: 'test',
      source: 'manual',
    });
    await first.stop();

    const second = await startShield(origin.url, { data_dir: dir, detector: DETECTOR });
    try {
      const snap = second.detector!.snapshot();
      assert.equal(snap.warm, true, 'warm before its first tick');
      assert.equal(snap.baseline.learnedSeconds, learned.learnedSeconds);
      assert.ok(second.state.isBanned('127.0.3.99', Date.now()), 'the ban survived the restart');
      const banned = await get(second.port, '/', '127.0.3.99').catch(() => ({
        status: 0,
        verdict: 'refused at accept',
        setCookie: [],
      }));
      assert.ok(
        banned.status === 0 || banned.status === 403,
        `the banned address is refused: ${banned.status} ${banned.verdict}`,
      );
      // The cookie from before the restart verifies: no new one is offered.
      const back = await get(second.port, '/', '127.0.3.1', cookie);
      assert.equal(back.status, 200);
      assert.deepEqual(
        back.setCookie.filter((c) => c.startsWith('rampart_seen=')),
        [],
        'the old seen cookie is still valid (keys kept)',
      );
      // A client seen before the restart without its cookie is not new to the client book.
      const again = await get(second.port, '/', '127.0.3.7');
      assert.equal(again.status, 200);
    } finally {
      await second.stop();
    }
  } finally {
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
