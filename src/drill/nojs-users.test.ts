// People without JavaScript against a real server: a person posts a form only
// when its page was served (a browser cannot submit a form it never got), as
// the Chromium users do; with the page served, the form is posted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CampaignRecorder } from './campaign-recorder.js';
import { runNoJsUsers } from './nojs-users.js';
import { parseTarget } from './target.js';

test('a person whose donate page was refused does not post the form; the login form, served, is posted', async () => {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
    req.resume();
    if (key === 'GET /donate') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body><p>page</p></body></html>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const rec = new CampaignRecorder(3);
    rec.attackStart = Date.now();
    await runNoJsUsers({
      target: parseTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
      users: 5,
      recorder: rec,
      until: Date.now() + 2500,
      thinkMs: [10, 30],
      visit: 'regular',
    });
    assert.ok((seen.get('GET /donate') ?? 0) >= 5, `every person asked for the donate page: ${[...seen]}`);
    assert.equal(seen.get('POST /donate') ?? 0, 0, 'nobody posted a form they never got');
    assert.ok((seen.get('POST /login') ?? 0) >= 1, `the served login form was posted: ${[...seen]}`);
    assert.ok(rec.tallies.nojs.during.failed >= 5, 'the refused pages are recorded as failed');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
