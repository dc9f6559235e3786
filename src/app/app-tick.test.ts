// The app's tick runs on the injected clock: a test moves a manual clock and
// the detector closes its second, without waiting a wall-clock second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock } from '../core/clock.js';
import { loadConfigObject } from '../config/load.js';
import { createApp } from './app.js';
import { createLogger } from './logger.js';

test('app tick: the parts run in order on the injected clock, one tick per second moved', async () => {
  const origin = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => origin.once('listening', r));
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-tick-'));
  const clock = createManualClock(Date.parse('2026-12-06T12:00:00Z'));
  const config = loadConfigObject({
    listen: '127.0.0.1:0',
    origin: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    hosts: ['127.0.0.1'],
    admin: { listen: '127.0.0.1:0' },
    data_dir: dataDir,
  });
  const app = createApp(config, { clock, log: createLogger('silent') });
  try {
    await app.start();
    const parts = app.tickParts();
    assert.deepEqual(
      parts.filter((p) => ['detector', 'evidence', 'persistence'].includes(p)),
      ['detector', 'evidence', 'persistence'],
      `the detector ticks before the evidence, persistence last: ${parts.join(', ')}`,
    );
    for (let i = 0; i < 3; i++) assert.equal((await fetch(app.url())).status, 200);
    assert.equal(app.detector?.snapshot().series.t.length, 0, 'no second closed before the clock moves');
    clock.advance(1000);
    const series = app.detector?.snapshot().series;
    assert.deepEqual(series?.requests, [3], 'one tick closed the second with its three requests');
    clock.advance(2000);
    assert.equal(app.detector?.snapshot().series.t.length, 3, 'two more seconds moved, two more ticks');
  } finally {
    await app.stop();
    origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
