// Control in cluster mode (this test process is the primary, two real worker
// processes): /api/status names the worker that answered and how many run,
// /metrics gathers every worker's samples (labelled worker) in one scrape and
// reports the state's health, and the operator's mode override set through
// one worker reads the same on the other.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type ClusterHandle } from '../../src/app/cluster.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { freePort } from './cli-child.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

const TOKEN = 'cluster-control-token-0123456789abcdef';
let origin: EchoOrigin;
let c: ClusterHandle;
let admin = '';

before(async () => {
  origin = await startEchoOrigin();
  const adminPort = await freePort();
  admin = `http://127.0.0.1:${adminPort}`;
  c = await startCluster(
    loadConfigObject({
      listen: '127.0.0.1:0',
      origin: origin.url,
      hosts: ['127.0.0.1'],
      admin: { listen: `127.0.0.1:${adminPort}`, token: TOKEN },
      workers: 2,
      data_dir: tempDataDir(),
      log: { level: process.env.RAMPART_TEST_LOG ?? 'silent' },
    }),
    { log: createLogger('silent') },
  );
});

after(async () => {
  await c?.stop();
  await origin?.close();
});

/** A fresh connection each time, so that the primary's round robin reaches both workers. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(admin + path, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      connection: 'close',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, text: await r.text() };
}

interface Status {
  worker: { index: number; count: number; pid: number } | null;
  modeOverride: string | null;
  mode: string;
  state: { backend: string; connected: boolean; outbox: number; lastSyncAgeSeconds: number | null };
}
const status = async () => JSON.parse((await api('GET', '/api/status')).text) as Status;

test('cluster control: /api/status says which worker answered and how many run', async () => {
  const seen = new Map<number, number>();
  await waitFor(
    async () => {
      const s = await status();
      assert.ok(s.worker, 'a worker answers, not the primary');
      assert.equal(s.worker.count, 2);
      assert.ok(c.pids().includes(s.worker.pid), `pid ${s.worker.pid} is one of the cluster's workers`);
      seen.set(s.worker.index, s.worker.pid);
      return seen.size === 2;
    },
    { what: 'both workers answered', timeoutMs: 15_000 },
  );
  assert.deepEqual([...seen.keys()].sort(), [1, 2]);
  assert.notEqual(seen.get(1), seen.get(2));
  const s = await status();
  assert.equal(s.state.backend, 'memory');
  assert.equal(s.state.connected, true);
  assert.equal(s.state.outbox, 0);
});

test('cluster control: /metrics gathers every worker’s samples, labelled by worker, with state health', async () => {
  // Any worker answers; the primary gathers both workers' samples into one exposition.
  for (let i = 0; i < 4; i++) {
    const m = (await api('GET', '/metrics')).text;
    for (const w of ['1', '2']) {
      assert.match(m, new RegExp(`^rampart_workers\\{worker="${w}"\\} 2$`, 'm'));
      assert.match(m, new RegExp(`^rampart_state_connected\\{backend="memory",worker="${w}"\\} 1$`, 'm'));
      assert.match(m, new RegExp(`^rampart_state_outbox\\{worker="${w}"\\} 0$`, 'm'));
      assert.match(m, new RegExp(`^rampart_state_last_sync_age_seconds\\{worker="${w}"\\} \\d`, 'm'));
    }
    assert.equal(m.match(/^# TYPE rampart_workers gauge$/gm)?.length, 1, 'one family header: a valid exposition');
  }
  // ?scope=worker: the answering worker alone.
  const workers = new Set<string>();
  await waitFor(
    async () => {
      const m = (await api('GET', '/metrics?scope=worker')).text;
      const labels = new Set([...m.matchAll(/^rampart_\w+\{[^}]*worker="(\d+)"/gm)].map((x) => x[1]));
      assert.equal(labels.size, 1, 'one worker per scope=worker scrape');
      workers.add([...labels][0]);
      return workers.size === 2;
    },
    { what: 'each worker alone', timeoutMs: 15_000 },
  );
});

test('cluster control: the mode override set through one worker reads the same on every worker', async () => {
  assert.equal((await status()).modeOverride, null);
  assert.equal((await api('POST', '/api/mode', { mode: 'under_attack' })).status, 200);
  const overrides = new Map<number, string | null>();
  await waitFor(
    async () => {
      const s = await status();
      overrides.set(s.worker!.index, s.modeOverride);
      return overrides.size === 2 && [...overrides.values()].every((v) => v === 'under_attack');
    },
    { what: 'both workers show the override', timeoutMs: 10_000 },
  );
  assert.match((await api('GET', '/metrics')).text, /^rampart_mode_override\{mode="under_attack",worker="[12]"\} 1$/m);
  assert.equal((await api('POST', '/api/mode', { mode: 'auto' })).status, 200);
  overrides.clear();
  await waitFor(
    async () => {
      const s = await status();
      overrides.set(s.worker!.index, s.modeOverride);
      return overrides.size === 2 && [...overrides.values()].every((v) => v === null);
    },
    { what: 'the override is gone on both', timeoutMs: 10_000 },
  );
});
