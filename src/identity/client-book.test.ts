import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientBook } from './client-book.js';

const T = 1_800_000_000;

test('client book: first visit is fresh, later visits keep the first-seen second', () => {
  const b = new ClientBook(1024);
  const e1 = b.visit(0x0a000001, T);
  assert.equal(e1.fresh, true);
  assert.equal(e1.first, T);
  const slot = e1.slot;
  assert.ok(slot >= 0);
  const e2 = b.visit(0x0a000001, T + 30);
  assert.equal(e2.fresh, false);
  assert.equal(e2.first, T);
  assert.equal(e2.slot, slot);
});

test('client book: a returned cookie with an older stamp moves first-seen back; misses count only after the cookie was sent', () => {
  const b = new ClientBook(1024);
  const { slot } = b.visit(7, T);
  assert.equal(b.missed(slot, T + 5), 0, 'no cookie sent yet: not a miss');
  assert.equal(b.shouldIssue(slot, T), true);
  b.issued(slot, T);
  assert.equal(b.shouldIssue(slot, T + 10), false, 'sent at most once a minute');
  assert.equal(b.shouldIssue(slot, T + 60), true);
  assert.equal(b.missed(slot, T), 0, 'in the second it was sent: the browser may not have it yet');
  assert.equal(b.missed(slot, T + 1), 1);
  assert.equal(b.missed(slot, T + 2), 2);
  b.returned(slot, T - 3600);
  assert.equal(b.missesOf(slot), 0, 'a returned cookie resets the misses');
  assert.equal(b.visit(7, T + 4).first, T - 3600);
});

test('client book: a flood of new addresses does not push out established clients', () => {
  const b = new ClientBook(8192);
  const people: number[] = [];
  for (let i = 0; i < 300; i++) people.push(0x0a000000 + i * 7);
  for (const k of people) b.visit(k, T);
  // Two minutes later the people are established; 200,000 new addresses arrive.
  for (let i = 0; i < 200_000; i++) b.visit(0xac100000 + i, T + 120 + (i % 30));
  let kept = 0;
  for (const k of people) if (!b.visit(k, T + 200).fresh) kept++;
  assert.equal(kept, people.length, `established clients kept: ${kept}/${people.length}`);
  assert.ok(b.untracked > 0, 'the flood overflowed into untracked entries');
});

test('client book: idle entries give way; a cookie-returning newcomer counts as established at once', () => {
  const b = new ClientBook(1024);
  const { slot } = b.visit(99, T);
  b.returned(slot, T);
  for (let i = 0; i < 50_000; i++) b.visit(0xac100000 + i, T + 5);
  assert.equal(b.visit(99, T + 6).fresh, false, 'returned the cookie: kept though only 6 s old');
  // After 31 minutes idle the slot is fair game.
  for (let i = 0; i < 50_000; i++) b.visit(0xad100000 + i, T + 1900);
  assert.equal(b.visit(99, T + 1901).fresh, true);
});

test('client book: export and import keep the oldest first-seen and skip idle entries', () => {
  const a = new ClientBook(2048);
  a.visit(1, T);
  a.visit(2, T + 100);
  a.visit(3, T - 4000); // idle past the 30 min retention at import time
  const { slot } = a.visit(1, T + 10);
  a.returned(slot, T - 50);
  const b = new ClientBook(1024);
  b.visit(2, T + 200); // seen later here
  assert.equal(b.import(a.export(), T + 300), 2);
  assert.equal(b.visit(1, T + 301).first, T - 50);
  assert.equal(b.visit(2, T + 301).first, T + 100, 'the older first-seen wins');
  assert.equal(b.visit(3, T + 301).fresh, true);
  assert.equal(b.import(new Uint8Array(7), T), 0, 'a malformed blob is ignored');
});
