// `rampart demo` as a real process (what `npm start` runs): it prints its
// URLs, serves the campaign home page and its assets through the shield,
// takes a donation POST and answers the donor API — all with the verdict
// header that proves the request went through Rampart, not around it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRampart } from './cli-child.js';

const cwd = mkdtempSync(join(tmpdir(), 'rampart-demo-'));
const child = spawnRampart(['demo', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], { cwd });
after(async () => {
  await child.stop();
  rmSync(cwd, { recursive: true, force: true });
});

let base = '';
let direct = '';

test('the demo starts and prints the shielded and the direct URL', async () => {
  base = (await child.waitFor(/through the shield\): (http:\/\/127\.0\.0\.1:\d+)\//))[1];
  direct = (await child.waitFor(/direct\):\s+(http:\/\/127\.0\.0\.1:\d+)\//))[1];
  assert.notEqual(base, direct);
});

test('the home page and its CSS, JS and images are served through the shield', async () => {
  const home = await fetch(`${base}/`);
  assert.equal(home.status, 200);
  assert.equal(home.headers.get('rampart-verdict'), 'default/allow');
  const html = await home.text();
  assert.match(html, /<title>[^<]*Greens for Riverton<\/title>/);
  const assets = [...html.matchAll(/(?:href|src)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.length >= 3, `assets linked: ${assets.join(', ')}`);
  for (const a of new Set(assets)) {
    const r = await fetch(`${base}${a}`);
    assert.equal(r.status, 200, a);
    assert.ok((await r.arrayBuffer()).byteLength > 0, a);
  }
});

test('a donation POST goes through the shield and is thanked', async () => {
  const r = await fetch(`${base}/donate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name: 'Ada', amount: '25' }),
  });
  assert.equal(r.status, 200);
  assert.ok(r.headers.get('rampart-verdict'), 'answered through Rampart');
  const html = await r.text();
  assert.match(html, /Ada/);
  assert.match(html, /25/);
  const bad = await fetch(`${base}/donate`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=&amount=0',
  });
  assert.equal(bad.status, 400, 'the origin validates the form');
  await bad.arrayBuffer();
});

test('the donor API answers JSON records through the shield, 404 for unknown ids', async () => {
  const r = await fetch(`${base}/api/donors/42`);
  assert.equal(r.status, 200);
  assert.ok(r.headers.get('rampart-verdict'));
  assert.match(r.headers.get('content-type') ?? '', /application\/json/);
  const donor = (await r.json()) as Record<string, unknown>;
  assert.ok(Object.keys(donor).length > 1, JSON.stringify(donor));
  const none = await fetch(`${base}/api/donors/999999`);
  assert.equal(none.status, 404);
  await none.arrayBuffer();
});

test('login POST and the CPU-costly search work through the shield', async () => {
  const ok = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user=volunteer&password=riverton',
    redirect: 'manual',
  });
  assert.equal(ok.status, 200);
  assert.match(ok.headers.get('set-cookie') ?? '', /demo_session=/);
  await ok.arrayBuffer();
  const wrong = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user=volunteer&password=nope',
  });
  assert.equal(wrong.status, 401);
  await wrong.arrayBuffer();
  const search = await fetch(`${base}/search?q=water`);
  assert.equal(search.status, 200);
  assert.match(await search.text(), /results for “water”/);
});

test('the demo stops cleanly on SIGINT (Ctrl+C)', async () => {
  child.proc.kill('SIGINT');
  assert.equal(await child.exited, 0);
});
