// The cluster runner as an operator starts it (src/app/cluster-run.ts, a real
// process): SIGTERM drains and exits with every worker; a primary killed
// outright leaves no orphan workers serving without shared state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { sendRaw } from '../helpers/raw.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function runCluster(originUrl: string): Promise<{ child: ChildProcess; url: string; pids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-cluster-'));
  const file = join(dir, 'rampart.yaml');
  writeFileSync(
    file,
    `listen: 127.0.0.1:0\norigin: ${originUrl}\nhosts: [127.0.0.1]\ndata_dir: ${dir}\nworkers: 2\nadmin:\n  listen: 127.0.0.1:0\n  token: cluster-primary-test-token-0123456789\nlog:\n  level: silent\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/app/cluster-run.ts'), file], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await waitFor(() => /"url"/.test(out) || child.exitCode !== null, {
    what: 'the cluster reports ready',
    timeoutMs: 60_000,
  });
  const line = out.split('\n').find((l) => l.startsWith('{"url"'));
  assert.ok(line, `cluster-run printed no ready line:\n${out}`);
  const { url, pids } = JSON.parse(line) as { url: string; pids: number[] };
  return { child, url, pids };
}

test('cluster-run: SIGTERM drains and exits with every worker', async () => {
  const origin = await startEchoOrigin();
  try {
    const { child, url, pids } = await runCluster(origin.url);
    assert.equal(pids.length, 2);
    const port = Number(new URL(url).port);
    assert.equal(
      (await sendRaw(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { quietMs: 2000 })).status,
      200,
    );
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await waitFor(() => pids.every((p) => !alive(p)), { what: 'workers gone', timeoutMs: 15_000 });
  } finally {
    await origin.close();
  }
});

test('cluster-run: workers of a killed primary exit instead of serving alone', async () => {
  const origin = await startEchoOrigin();
  try {
    const { child, pids } = await runCluster(origin.url);
    assert.ok(pids.every(alive));
    child.kill('SIGKILL');
    await waitFor(() => pids.every((p) => !alive(p)), { what: 'orphaned workers exit', timeoutMs: 20_000 });
  } finally {
    await origin.close();
  }
});
