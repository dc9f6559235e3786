// The warm-up (src/app/warm-up.ts) on real sockets: it rehearses the request
// path on a private copy before the app listens, exercises the checks and
// limits as well as the pages, and leaves nothing behind in the real origin,
// state, detector or process handles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createManualClock } from '../core/clock.js';
import { loadConfigObject } from '../config/load.js';
import { createApp } from './app.js';
import { createLogger } from './logger.js';
import { hostOf, warmUp } from './warm-up.js';

async function countingOrigin() {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.end('ok');
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function capture(): { log: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log: createLogger('info', sink), lines };
}

/** A whole app's configuration in front of `origin`, its data in `dataDir`. */
function appConfig(origin: string, dataDir: string, extra: Record<string, unknown> = {}) {
  return loadConfigObject({
    listen: '127.0.0.1:0',
    origin,
    hosts: ['127.0.0.1'],
    admin: { listen: '127.0.0.1:0' },
    data_dir: dataDir,
    ...extra,
  });
}

// First in the file: the handles it counts are this test's own.
test('warm-up: the checks and limits run as well as the pages, and nothing is left open', async () => {
  const origin = await countingOrigin();
  const config = loadConfigObject({ listen: '127.0.0.1:0', origin: origin.url, hosts: ['*.site.test'] });
  const handles = () => process.getActiveResourcesInfo().filter((h) => h !== 'TTYWrap').length;
  const before = handles();
  try {
    const r = await warmUp(config, { requests: 240, geo: null, log: createLogger('silent') });
    assert.equal(r.sent, 240);
    assert.equal(r.answered, 240, `every request answered: ${JSON.stringify(r.statuses)}`);
    const served = r.statuses[200] ?? 0;
    assert.notEqual(served, 0, `pages served: ${JSON.stringify(r.statuses)}`);
    assert.notEqual(r.sent - served, 0, `checks, challenges or limits answered some: ${JSON.stringify(r.statuses)}`);
    assert.equal(origin.count(), 0, 'the stand-in origin answered, not the configured one');
    await new Promise((r) => setTimeout(r, 50)); // closed sockets leave the handle list on the next turns
    assert.equal(handles(), before, `no socket, server or timer left: ${process.getActiveResourcesInfo().join(', ')}`);
  } finally {
    await origin.close();
  }
});

test('warm-up: rehearsed before listening on a private copy; the real origin, state and detector see none of it', async () => {
  const origin = await countingOrigin();
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-warm-'));
  const clock = createManualClock(Date.parse('2026-12-07T12:00:00Z'));
  const config = appConfig(origin.url, dataDir, { limits: { warm_up: 150 } });
  const { log, lines } = capture();
  const app = createApp(config, { clock, log });
  try {
    await app.start();
    const done = lines().find((l) => l.msg === 'request path warmed up before listening');
    assert.equal(done?.requests, 150, 'the configured number of requests was sent');
    assert.equal(done?.answered, 150, 'and each was answered');
    assert.equal(origin.count(), 0, 'none reached the real origin');
    assert.equal(app.state.mode(), 'normal', "the copy's attack mode stayed in the copy");
    assert.deepEqual(app.state.mitigations(), [], "the copy's mitigations stayed in the copy");
    assert.equal((await fetch(app.url())).status, 200);
    clock.advance(1000);
    assert.deepEqual(app.detector?.snapshot().series.requests, [1], 'the detector counted the one real request only');
    assert.equal(origin.count(), 1);
  } finally {
    await app.stop();
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('warm-up: off by default (0); a negative count is a clear configuration error', async () => {
  const origin = await countingOrigin();
  const dataDir = mkdtempSync(join(tmpdir(), 'rampart-warm-'));
  const { log, lines } = capture();
  const config = appConfig(origin.url, dataDir);
  assert.equal(config.limits.warmUp, 0, 'the default');
  const app = createApp(config, { log });
  try {
    await app.start();
    assert.equal(lines().filter((l) => String(l.msg).includes('warm')).length, 0, 'no warm-up when turned off');
  } finally {
    await app.stop();
    await origin.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.throws(
    () => loadConfigObject({ listen: '127.0.0.1:0', origin: origin.url, hosts: ['a.test'], limits: { warm_up: -1 } }),
    /warm_up is a number of requests, 0 to turn it off/,
  );
});

test('warm-up: the Host it sends is one the configuration accepts', () => {
  assert.equal(hostOf(['site.test', '*.other.test']), 'site.test');
  assert.equal(hostOf(['*.site.test']), 'www.site.test');
  assert.equal(hostOf(['::1']), '[::1]');
  assert.equal(hostOf([]), 'localhost');
});
