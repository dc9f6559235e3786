// Pins: a reload that changes the origin never serves the old origin's stored
// pages (the cache keeps its copies across reloads only while the origin is
// the same). Seen as a flaky SIGHUP test: "origin A" answered after the
// switch to B, from a copy stored a moment before.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfigObject } from '../../src/config/load.js';
import { startShield } from '../helpers/shield.js';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

async function origin(name: string): Promise<string> {
  // Cacheable for a minute: without the fix the copy would outlive the reload by far.
  const s = createServer((_req, res) => res.setHeader('cache-control', 'public, max-age=60').end(`origin ${name}`));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

test("reload to a new origin: the old origin's stored pages are not served; the same origin keeps them", async () => {
  const a = await origin('A');
  const b = await origin('B');
  const shield = await startShield(a);
  const get = async () => (await fetch(`http://127.0.0.1:${shield.port}/page`)).text();
  try {
    assert.equal(await get(), 'origin A');
    assert.equal(await get(), 'origin A');
    const hits = shield.cacheStats()!.hits;
    assert.ok(hits >= 1, 'the second GET was a cache hit');
    const cfg = (origin: string) =>
      loadConfigObject({
        listen: '127.0.0.1:0',
        origin,
        hosts: ['127.0.0.1'],
        admin: { listen: '127.0.0.1:0' },
        data_dir: shield.config.dataDir,
      });
    await shield.reload(cfg(b));
    assert.equal(await get(), 'origin B', 'the new origin answers, not a stored copy of the old one');
    // A reload that keeps the origin keeps the copies (a reload under attack must not empty the cache).
    await shield.reload(cfg(b));
    const before = shield.cacheStats()!.hits;
    assert.equal(await get(), 'origin B');
    assert.equal(shield.cacheStats()!.hits, before + 1, 'served from the kept copy');
  } finally {
    await shield.stop();
  }
});
