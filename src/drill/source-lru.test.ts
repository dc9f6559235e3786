import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Source } from './client.js';
import { createSourceLru } from './source-lru.js';

test('source LRU: at most max pools open, the least recently used closed gracefully, all destroyed at the end', async () => {
  const log: string[] = [];
  const fake = (i: number): Source => ({
    address: `127.100.0.${i}`,
    send: async () => ({ status: 200, verdict: '', body: '', setCookie: [], location: '', ms: 1, error: '' }),
    inFlight: () => 0,
    close: async (graceful?: boolean) => void log.push(`${graceful ? 'close' : 'destroy'} ${i}`),
  });
  const lru = createSourceLru(3, fake);
  const a = lru.get(1);
  lru.get(2);
  lru.get(3);
  assert.equal(lru.get(1), a, 'an open pool is reused');
  lru.get(4); // evicts 2: 1 was used after it
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['close 2']);
  assert.equal(lru.open(), 3);
  lru.get(2); // reopened: evicts 3
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lru.stats(), { peakOpen: 3, evicted: 2, opened: 5 });
  await lru.closeAll();
  assert.deepEqual(log.slice(2).sort(), ['destroy 1', 'destroy 2', 'destroy 4']);
  assert.equal(lru.open(), 0);
  assert.throws(() => createSourceLru(0, fake), RangeError);
});
