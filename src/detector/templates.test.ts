import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdWalks, scanTemplate, templateLabel, templatePrefix, WALK_IDS } from './templates.js';

test('templates: numbers, long hex with a digit and UUIDs are identifiers; words, short hex and dates-as-words are not', () => {
  const rows: [string, string][] = [
    ['/api/donors/123', '/api/donors/{id}'],
    ['/r/0f3a9c21/pdf', '/r/{id}/pdf'],
    ['/v/5b1e8c4e-2d7a-4c1f-9e3b-7a6d0c2f1b9e', '/v/{id}'],
    ['/news/2026/12/spring-campaign', '/news/{id}/{id}/spring-campaign'],
    ['/about', '/about'],
    ['/static/deadbeef', '/static/deadbeef'], // hex letters only: a word
    ['/static/site.css', '/static/site.css'],
  ];
  for (const [path, label] of rows) assert.equal(templateLabel(path), label, path);
  const out = { template: 0, id: 0, num: -1 };
  assert.equal(scanTemplate('/about', out), false);
  assert.equal(scanTemplate('/api/donors/123', out), true);
  const t123 = out.template;
  const id123 = out.id;
  assert.equal(out.num, 123);
  scanTemplate('/api/donors/124', out);
  assert.equal(out.template, t123, 'one template for every id');
  assert.notEqual(out.id, id123, 'different ids hash apart');
  scanTemplate('/api/receipts/124', out);
  assert.notEqual(out.template, t123);
  assert.equal(templatePrefix('/api/donors/{id}'), '/api/donors/');
});

test('id walks: a client asking for 30+ identifiers of one template in two seconds or more is reported once', () => {
  const w = new IdWalks();
  const T = 1_800_000_000;
  for (let i = 0; i < 20; i++) w.observe(7, '198.51.100.7', `/api/donors/${i + 1}`, T);
  assert.equal(w.drain().length, 0, 'one second: a page loading many items at once is not a walk');
  for (let i = 20; i < 60; i++) w.observe(7, '198.51.100.7', `/api/donors/${i + 1}`, T + 1);
  const got = w.drain();
  assert.equal(got.length, 1);
  assert.equal(got[0].ip, '198.51.100.7');
  assert.ok(got[0].ids >= WALK_IDS && got[0].ids <= 80, `ids ${got[0].ids}`);
  assert.ok(got[0].run >= 30, `sequential run ${got[0].run}`);
  for (let i = 60; i < 90; i++) w.observe(7, '198.51.100.7', `/api/donors/${i + 1}`, T + 2);
  assert.equal(w.drain().length, 0, 'reported once per window');
  for (let i = 0; i < 40; i++) w.observe(7, '198.51.100.7', `/api/donors/${1000 + i}`, T + 31 + (i % 2));
  assert.equal(w.drain().length, 1, 'a new window reports again');
});

test('id walks: people reading a few records each, and the same record over and over, are not walks', () => {
  const w = new IdWalks();
  const T = 1_800_000_000;
  for (let s = 0; s < 30; s++)
    for (let p = 0; p < 50; p++) w.observe(1000 + p, `10.0.0.${p}`, `/news/${(p * 7 + s) % 11}`, T + s);
  for (let s = 0; s < 30; s++) for (let k = 0; k < 20; k++) w.observe(5, '10.0.1.5', '/api/donors/42', T + s);
  assert.deepEqual(w.drain(), []);
});
