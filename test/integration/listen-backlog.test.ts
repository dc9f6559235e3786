// limits.listen_backlog: the listener's queue of connections not yet accepted,
// as the kernel reports it (`ss`: a listening socket's Send-Q is its backlog,
// capped by net.core.somaxconn), and a reload that would change it is refused
// while the shield keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { sendRaw } from '../helpers/raw.js';
import { loadConfigObject } from '../../src/config/load.js';

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

/** The backlog of the socket listening on 127.0.0.1:`port`, from `ss -ltn`. */
function backlogOf(port: number): number {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const cols = out.split(/\s+/);
  assert.equal(cols[0], 'LISTEN', `ss: ${out}`);
  return Number(cols[2]);
}

test('the listener is opened with limits.listen_backlog (4096 by default, as far as somaxconn allows), not Node’s 511', async () => {
  const origin = await startEchoOrigin();
  const byDefault = await startShield(origin.url);
  const set = await startShield(origin.url, { limits: { listen_backlog: 1000 } });
  try {
    assert.equal(backlogOf(byDefault.port), Math.min(4096, somaxconn));
    assert.equal(backlogOf(set.port), Math.min(1000, somaxconn));
  } finally {
    await byDefault.stop();
    await set.stop();
    await origin.close();
  }
});

test('a reload that changes limits.listen_backlog is refused with a hint to restart, and the shield keeps serving', async () => {
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { limits: { listen_backlog: 900 } });
  try {
    const next = loadConfigObject({
      listen: '127.0.0.1:0',
      origin: origin.url,
      hosts: ['127.0.0.1'],
      admin: { listen: '127.0.0.1:0' },
      limits: { listen_backlog: 2000 },
    });
    await assert.rejects(shield.reload(next), (e: Error & { code?: string; hint?: string }) => {
      assert.equal(e.code, 'E_RELOAD_LISTEN');
      assert.match(e.message, /listen_backlog/);
      assert.match(String(e.hint), /restart/);
      return true;
    });
    assert.equal(backlogOf(shield.port), Math.min(900, somaxconn));
    const reply = await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(reply.status, 200);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('a listen_backlog that is not a positive whole number of connections is a clear configuration error', () => {
  const ok = loadConfigObject({ origin: 'http://127.0.0.1:1', hosts: ['a.example'], limits: { listen_backlog: 2048 } });
  assert.equal(ok.limits.listenBacklog, 2048);
  for (const bad of [0, -5, 1.5, 70_000])
    assert.throws(
      () => loadConfigObject({ origin: 'http://127.0.0.1:1', hosts: ['a.example'], limits: { listen_backlog: bad } }),
      /limits\.listen_backlog/,
      `listen_backlog ${bad}`,
    );
});
