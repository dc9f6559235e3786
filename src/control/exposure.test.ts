import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createExposure, type ExposureObserved } from './exposure.js';

const hit = (ip: string, key: number, path: string, extra: Partial<ExposureObserved> = {}): ExposureObserved => ({
  routeClass: 'sensitive',
  path,
  clientKey: key,
  prefixKey: key >>> 8,
  clientIp: ip,
  status: 200,
  bytesOut: 300,
  verified: false,
  ...extra,
});

test('a sequential walk is flagged as enumeration and a sequential walk; a person is not', () => {
  const x = createExposure({ clients: 64, enumerationIds: 50, now: () => 0 });
  for (let id = 1; id <= 120; id++) x.observe(hit('203.0.113.7', 0xcb007107, `/api/donors/${id}`));
  for (let i = 0; i < 5; i++) x.observe(hit('198.51.100.9', 0xc6336409, '/api/donors/42', { verified: true }));
  x.observe(hit('198.51.100.9', 0xc6336409, '/about', { routeClass: 'page' }));
  const s = x.snapshot();
  assert.equal(s.requests, 125);
  assert.equal(s.ok, 125);
  assert.equal(s.verifiedOk, 5);
  assert.equal(s.unverifiedOk, 120);
  assert.ok(Math.abs(s.distinctIds - 120) <= 6, `distinct ${s.distinctIds}`);
  const bot = s.clients.find((c) => c.who === '203.0.113.7')!;
  assert.deepEqual(bot.flags.slice(0, 2), ['enumeration', 'sequential walk']);
  assert.equal(bot.longestWalk, 120);
  const person = s.clients.find((c) => c.who === '198.51.100.9')!;
  assert.deepEqual(person.flags, []);
  assert.equal(person.distinctIds, 1);
  assert.equal(s.prefixes[0].who, '203.0.113.0/24');
});

test('strided IDs (not sequential) still count as distinct records; 404s and big responses are told apart', () => {
  const x = createExposure({ clients: 64, enumerationIds: 50, now: () => 0 });
  for (let i = 0; i < 60; i++)
    x.observe(hit('203.0.113.8', 1, `/api/donors/${1 + i * 40}`, { status: i % 2 ? 404 : 200 }));
  for (let i = 0; i < 20; i++) x.observe(hit('203.0.113.9', 2, `/api/donors/${i % 3}`, { bytesOut: 50_000 }));
  const s = x.snapshot();
  const a = s.clients.find((c) => c.who === '203.0.113.8')!;
  assert.ok(a.flags.includes('enumeration'));
  assert.ok(!a.flags.includes('sequential walk'));
  assert.equal(a.s4xx, 30);
  const b = s.clients.find((c) => c.who === '203.0.113.9')!;
  assert.ok(b.flags.includes('unusual response size'), JSON.stringify(b));
});

test('bounded: beyond the tracked clients the least recent are dropped and said so; epochs reset', () => {
  const x = createExposure({ clients: 16, enumerationIds: 50, now: () => 0 });
  for (let i = 0; i < 40; i++) x.observe(hit(`203.0.113.${i}`, 100 + i, `/api/donors/${i}`));
  const s = x.snapshot();
  assert.equal(s.requests, 40);
  assert.equal(s.tracked, 16);
  assert.equal(s.dropped, 24);
  assert.ok(s.clients.length <= 16);
  x.newEpoch();
  assert.equal(x.snapshot().requests, 0);
  assert.equal(x.snapshot().clients.length, 0);
});

test('a walked template the detector names is watched by itself until the next epoch, with its identifiers counted', () => {
  const x = createExposure({ clients: 64, enumerationIds: 50, now: () => 0 });
  const receipt = (id: string) => hit('203.0.113.8', 0xcb007108, `/r/${id}/pdf`, { routeClass: 'page' });
  x.observe(receipt('0f3a9c21'));
  assert.equal(x.snapshot().requests, 0, 'not sensitive, not named yet');
  x.watchTemplates(['/r/{id}/pdf']);
  for (let i = 0; i < 80; i++) x.observe(receipt((0x10000000 + i * 7919).toString(16)));
  x.observe(hit('203.0.113.8', 0xcb007108, '/about', { routeClass: 'page' }));
  const s = x.snapshot();
  assert.equal(s.requests, 80);
  assert.deepEqual(s.templates, ['/r/{id}/pdf']);
  assert.ok(s.distinctIds >= 70, `identifiers in the middle of the path counted apart: ${s.distinctIds}`);
  assert.ok(s.clients[0].flags.includes('enumeration'));
  x.newEpoch();
  x.observe(receipt('0f3a9c22'));
  assert.equal(x.snapshot().requests, 0, 'a new incident starts without it');
  assert.deepEqual(x.snapshot().templates, []);
});
