// `rampart start -c FILE` with `workers: 2` as an operator runs it (a real
// process): the primary forks two worker processes that serve through the
// shared listener, and SIGTERM drains the request in flight before every
// process exits. Bounded waits, no timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait.js';
import { spawnRampart } from './cli-child.js';

/** Pids whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('rampart start with workers: 2 serves through two worker processes and drains on SIGTERM', {
  timeout: 90_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-cluster-start-'));
  const hits: string[] = [];
  const origin = createServer((req, res) => {
    hits.push(req.url ?? '');
    const m = /^\/slow\/(\d+)/.exec(req.url ?? '');
    setTimeout(() => res.end('origin ok'), m ? Number(m[1]) : 0);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const file = join(dir, 'rampart.yaml');
  writeFileSync(
    file,
    `listen: 127.0.0.1:0\norigin: ${originUrl}\nhosts: [127.0.0.1]\ndata_dir: ${dir}\nworkers: 2\nadmin:\n  listen: 127.0.0.1:0\n  token: cluster-start-test-token-0123456789\nlog:\n  level: warn\n`,
  );
  const child = spawnRampart(['start', '-c', file]);
  try {
    const m = await child.waitFor(/shielding \S+ at (http:\/\/127\.0\.0\.1:\d+) with (\d+) workers/, 60_000);
    const base = m[1];
    assert.equal(m[2], '2');
    const workers = childrenOf(child.proc.pid!);
    assert.equal(workers.length, 2, `two worker processes under the primary, got ${workers.join(',')}`);
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${base}/n/${i}`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'origin ok');
    }
    // A failed fetch keeps its cause (a reset, a closed socket) for the assertion's message.
    const pending = fetch(`${base}/slow/1500`).then(
      async (r) => ({ status: r.status, body: await r.text() }),
      (e: Error & { cause?: { code?: string; message?: string } }) => ({
        status: -1,
        body: `${e.message}: ${e.cause?.code ?? ''} ${e.cause?.message ?? ''}`,
      }),
    );
    await waitFor(() => hits.includes('/slow/1500'), {
      what: 'the slow request reached the origin',
      timeoutMs: 10_000,
    });
    child.proc.kill('SIGTERM');
    await child.waitFor(/SIGTERM, draining the workers/);
    const r = await pending;
    assert.equal(r.status, 200, `the request in flight was drained, not cut (${r.body})`);
    assert.equal(r.body, 'origin ok');
    assert.equal(await child.exited, 0);
    await waitFor(() => workers.every((p) => !alive(p)), { what: 'every worker exited', timeoutMs: 15_000 });
    await assert.rejects(fetch(`${base}/`), 'no longer listening');
  } finally {
    await child.stop();
    origin.closeAllConnections();
    await new Promise((r) => origin.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
