// The operator loop with real processes: `rampart start -c FILE` (a child
// process), then `rampart status`, `ban` and `mode` as separate processes
// reading the admin address and token from the same FILE, and
// POST /api/reload re-reading FILE (a broken edit is refused, the old config serves).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runRampart, spawnRampart } from './cli-child.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { adminRequest } from '../../src/control/admin-client.js';

test('start -c FILE, then status/ban/mode/reload against it from other processes', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-ops-'));
  const origin = await startEchoOrigin();
  const [port, adminPort] = [await freePort(), await freePort()];
  const token = 'process-test-token-0123456789';
  const file = join(dir, 'rampart.yaml');
  const yaml = (extra = '') =>
    `listen: 127.0.0.1:${port}\norigin: ${origin.url}\nhosts: [127.0.0.1]\ndata_dir: ${dir}\nadmin:\n  listen: 127.0.0.1:${adminPort}\n  token: ${token}\nlog:\n  level: warn\n${extra}`;
  writeFileSync(file, yaml());
  const shield = spawnRampart(['start', '-c', file]);
  try {
    await shield.waitFor(/shielding .* at http:\/\/127\.0\.0\.1:\d+/, 30_000);
    const status = await runRampart(['status', '-c', file]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^mode {9}normal \(enforce\)$/m);
    const ban = await runRampart(['ban', 'add', '198.51.100.7', '--for', '5m', '-c', file]);
    assert.equal(ban.code, 0, ban.stderr);
    const ls = await runRampart(['ban', 'ls', '--json', '-c', file]);
    assert.deepEqual(
      JSON.parse(ls.stdout).map((b: { target: string }) => b.target),
      ['198.51.100.7'],
    );
    assert.equal((await runRampart(['mode', 'under-attack', '-c', file])).code, 0);
    const admin = `http://127.0.0.1:${adminPort}`;
    assert.equal((await adminRequest(admin, 'GET', '/api/status', { token })).json.mode, 'under_attack');
    assert.equal((await runRampart(['mode', 'auto', '-c', file])).code, 0);
    // Reload: a good edit applies, a broken one is refused with its errors.
    writeFileSync(file, yaml('alerts:\n  retries: 2\n'));
    assert.equal((await adminRequest(admin, 'POST', '/api/reload', { token })).status, 200);
    writeFileSync(file, yaml('alerts:\n  retries: many\n'));
    const bad = await adminRequest(admin, 'POST', '/api/reload', { token });
    assert.equal(bad.status, 422);
    assert.ok(bad.json.error.details.issues.some((i: { path: string }) => i.path === 'alerts.retries'));
    const r = await fetch(`http://127.0.0.1:${port}/still`, { headers: { host: '127.0.0.1' } });
    assert.equal(r.status, 200);
    await r.arrayBuffer();
    const bad2 = await runRampart(['ban', 'add', 'nonsense', '-c', file.replace('rampart.yaml', 'missing.yaml')]);
    assert.equal(bad2.code, 1);
    assert.match(bad2.stderr, /cannot read .*missing\.yaml/);
  } finally {
    await shield.stop();
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
