// Cluster mode for real: this test process is the node:cluster primary, two
// worker processes serve a real origin. Counts of every worker reach the
// primary and its one detector; a ban made on the primary refuses in every worker; a killed worker
// is replaced while connections held by the other worker keep working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { sendRaw } from '../helpers/raw.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

let origin: EchoOrigin;
// These tests need connections spread over both workers: round robin spreads them evenly, the shared
// sockets Rampart uses by default (src/app/cluster-config.ts shareAccept) leave it to the kernel.
process.env.NODE_CLUSTER_SCHED_POLICY = 'rr';
let c: ClusterHandle;
let port = 0;
const base = () => ({
  listen: '127.0.0.1:0',
  origin: origin.url,
  hosts: ['127.0.0.1'],
  admin: { listen: '127.0.0.1:0' },
  workers: 2,
  data_dir: tempDataDir(),
  log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
});

before(async () => {
  origin = await startEchoOrigin();
  c = await startCluster(loadConfigObject(base()), { log: createLogger('silent') });
  port = Number(new URL(c.url).port);
});

after(async () => {
  await c?.stop();
  await origin?.close();
});

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

test('cluster: two workers serve, and counts from all of them reach the primary', async () => {
  assert.equal(c.pids().length, 2);
  let ok = 0;
  for (let i = 0; i < 40; i++) if ((await sendRaw(port, GET(`/n/${i}`), { quietMs: 2000 })).status === 200) ok++;
  assert.equal(ok, 40);
  await waitFor(() => c.reports().filter((s) => s > 0).length === 2, {
    what: 'both workers reported counts',
    timeoutMs: 10_000,
  });
  await waitFor(
    () => {
      const now = Math.floor(Date.now() / 1000);
      let sum = 0;
      for (let s = now - 30; s <= now; s++) sum += c.state.globalCounts(s)?.requests ?? 0;
      return sum >= 40;
    },
    { what: 'the primary sums every request', timeoutMs: 10_000 },
  );
  // The same requests reach the cluster's one detector (in the primary), from both workers.
  await waitFor(
    () => {
      const by = c.detectorParts().bySlot;
      return Object.keys(by).length === 2 && by['1'].requests + by['2'].requests >= 40;
    },
    { what: "the detector folded in both workers' seconds", timeoutMs: 10_000 },
  );
  const by = c.detectorParts().bySlot;
  assert.ok(
    by['1'].requests >= 8 && by['2'].requests >= 8,
    `each worker's share reached the detector: ${JSON.stringify(by)}`,
  );
  await waitFor(() => c.detector!.snapshot().series.requests.reduce((a, b) => a + b, 0) >= 40, {
    what: "the detector's per-second series counts them all (at its next tick)",
    timeoutMs: 5000,
  });
  assert.equal(c.detectorParts().refused, 0);
});

test('cluster: a ban made on the primary refuses in every worker', async () => {
  c.state.addBan({
    target: '127.0.0.2',
    rule: 'ban/manual',
    createdAt: Date.now(),
    until: Date.now() + 60_000,
    reason: 'test',
    source: 'manual',
  });
  // IPC is asynchronous: each connection (spread over both workers) is refused once its worker has the ban.
  for (let i = 0; i < 10; i++) {
    await waitFor(
      async () => (await sendRaw(port, GET('/banned'), { localAddress: '127.0.0.2', quietMs: 2000 })).status !== 200,
      { what: `connection ${i + 1} of 10 from the banned address refused` },
    );
  }
  assert.equal((await sendRaw(port, GET('/fine'), { quietMs: 2000 })).status, 200, 'others are served');
  c.state.removeBan('127.0.0.2');
});

/** A keep-alive connection that can send one more request later. */
function keepAlive(): Promise<{ again(): Promise<number>; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = '';
    let waiter: ((status: number) => void) | null = null;
    const ask = () =>
      new Promise<number>((r) => {
        if (socket.destroyed) return r(0);
        buf = '';
        waiter = r;
        socket.write('GET /ka HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      });
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})[\s\S]*?\r\n\r\n/.exec(buf);
      const len = /content-length: (\d+)/i.exec(buf);
      if (m && len && buf.length >= m[0].length + Number(len[1])) waiter?.(Number(m[1]));
    });
    socket.on('close', () => waiter?.(0));
    socket.on('error', () => {});
    socket.once('connect', () =>
      ask().then((s) => (s === 200 ? resolve({ again: ask, socket }) : reject(new Error(`status ${s}`)))),
    );
  });
}

test('cluster: a killed worker is replaced; connections on the other worker keep working', async () => {
  const conns = await Promise.all(Array.from({ length: 6 }, () => keepAlive()));
  const [victim] = c.pids();
  process.kill(victim, 'SIGKILL');
  await waitFor(() => c.restarts() === 1 && c.pids().length === 2 && !c.pids().includes(victim), {
    what: 'a replacement worker',
    timeoutMs: 20_000,
  });
  const statuses = await Promise.all(conns.map((k) => k.again()));
  const kept = statuses.filter((s) => s === 200).length;
  assert.ok(kept >= 1, `connections held by the surviving worker still answer (statuses ${statuses.join(',')})`);
  assert.ok(kept < conns.length, `the killed worker's connections are gone (statuses ${statuses.join(',')})`);
  for (const k of conns) k.socket.destroy();
  let ok = 0;
  for (let i = 0; i < 10; i++) if ((await sendRaw(port, GET(`/after/${i}`), { quietMs: 2000 })).status === 200) ok++;
  assert.equal(ok, 10, 'new connections are all served after the replacement');
});

test('cluster: a reload reaches every worker', async () => {
  const ask = () =>
    sendRaw(port, 'GET / HTTP/1.1\r\nHost: reload.test\r\nConnection: close\r\n\r\n', { quietMs: 2000 });
  assert.notEqual((await ask()).status, 200, 'an unknown host is refused before the reload');
  c.reload(loadConfigObject({ ...base(), hosts: ['127.0.0.1', 'reload.test'] }));
  await waitFor(async () => (await ask()).status === 200, { what: 'a worker serves the new host', timeoutMs: 10_000 });
  let ok = 0;
  for (let i = 0; i < 10; i++) if ((await ask()).status === 200) ok++;
  assert.equal(ok, 10, 'every connection, whichever worker takes it, has the new configuration');
});
