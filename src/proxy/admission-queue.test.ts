import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PriorityQueue, type Waiter } from './admission-queue.js';

type W = Waiter & { id: string };
const w = (id: string, priority: number, deadline = 1000): W => ({
  id,
  priority,
  deadline,
  prev: null,
  next: null,
  queued: false,
});
const limits = (size: number) => [0, 1, 2, 3].map(() => ({ size, deadline: 1000 }));
const drain = (q: PriorityQueue<W>) => {
  const out: string[] = [];
  for (let x = q.shift(); x !== null; x = q.shift()) out.push(x.id);
  return out;
};

test('higher priorities leave first, FIFO within a priority', () => {
  const q = new PriorityQueue<W>(limits(10), 100);
  for (const [id, p] of [
    ['n1', 3],
    ['k1', 2],
    ['p1', 0],
    ['v1', 1],
    ['n2', 3],
    ['p2', 0],
  ] as const)
    assert.equal(q.push(w(id, p)), null);
  assert.deepEqual(drain(q), ['p1', 'p2', 'v1', 'k1', 'n1', 'n2']);
  assert.equal(q.length, 0);
});

test('when the total is full, an arrival displaces the oldest of the lowest lower priority', () => {
  const q = new PriorityQueue<W>(limits(10), 3);
  q.push(w('n1', 3));
  q.push(w('k1', 2));
  q.push(w('n2', 3));
  const out = q.push(w('p1', 0));
  assert.equal(out?.id, 'n1');
  assert.equal(q.depth[3], 1);
  const out2 = q.push(w('n3', 3));
  assert.equal(out2?.id, 'n3', 'nothing lower than new: the arrival is refused');
  assert.deepEqual(drain(q), ['p1', 'k1', 'n2']);
});

test('a full priority refuses its own arrivals even with room elsewhere', () => {
  const q = new PriorityQueue<W>(limits(1), 100);
  q.push(w('a', 3));
  const b = w('b', 3);
  assert.equal(q.push(b), b);
  assert.equal(q.push(w('c', 1)), null);
});

test('remove from the middle keeps the lists consistent', () => {
  const q = new PriorityQueue<W>(limits(10), 100);
  const items = ['a', 'b', 'c', 'd'].map((id) => w(id, 2));
  for (const x of items) q.push(x);
  q.remove(items[1]);
  q.remove(items[3]);
  q.remove(items[3]); // twice: no effect
  assert.equal(q.depth[2], 2);
  assert.deepEqual(drain(q), ['a', 'c']);
});

test('expired() yields waiters whose deadline passed, oldest first', () => {
  const q = new PriorityQueue<W>(limits(10), 100);
  q.push(w('p', 0, 500));
  q.push(w('n1', 3, 100));
  q.push(w('n2', 3, 200));
  assert.equal(q.expired(50), null);
  assert.equal(q.expired(150)?.id, 'n1');
  assert.equal(q.expired(150), null);
  assert.equal(q.expired(600)?.id, 'p');
  assert.equal(q.expired(600)?.id, 'n2');
});
