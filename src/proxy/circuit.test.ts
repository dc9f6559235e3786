import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Circuit } from './circuit.js';

const opts = {
  failures: 3,
  failureRatio: 0.5,
  minRequests: 10,
  windowMs: 10_000,
  openFor: 5_000,
  maxOpenFor: 20_000,
  probes: 2,
};

test('closed → open after consecutive failures; refuses until openFor passes', () => {
  const c = new Circuit(opts);
  c.record(0, 'fail', false);
  c.record(1, 'ok', false);
  c.record(2, 'fail', false);
  c.record(3, 'fail', false);
  assert.equal(c.state, 'closed', 'a success resets the run');
  c.record(4, 'fail', false);
  assert.equal(c.state, 'open');
  assert.match(c.reason, /3 consecutive/);
  assert.equal(c.allow(4_000), 'open');
});

test('half-open: probes only; all succeed → closed', () => {
  const c = new Circuit(opts);
  for (let i = 0; i < 3; i++) c.record(0, 'fail', false);
  assert.equal(c.allow(5_000), 'probe');
  assert.equal(c.state, 'half_open');
  assert.equal(c.allow(5_000), 'probe');
  assert.equal(c.allow(5_000), 'open', 'no more than `probes` at once');
  c.record(5_010, 'ok', true);
  assert.equal(c.state, 'half_open');
  c.record(5_020, 'ok', true);
  assert.equal(c.state, 'closed');
  assert.equal(c.allow(5_030), 'pass');
});

test('a failed probe reopens for twice as long, capped', () => {
  const c = new Circuit(opts);
  for (let i = 0; i < 3; i++) c.record(0, 'fail', false);
  let t = 5_000;
  for (const expect of [10_000, 20_000, 20_000]) {
    assert.equal(c.allow(t), 'probe');
    c.record(t, 'fail', true);
    assert.equal(c.state, 'open');
    assert.equal(c.allow(t + expect - 1), 'open');
    t += expect;
  }
  assert.equal(c.allow(t), 'probe');
  c.record(t, 'ok', true);
  assert.equal(c.allow(t), 'probe');
  c.record(t, 'ok', true);
  assert.equal(c.state, 'closed');
  assert.equal(c.snapshot().opened, 4);
});

test('a probe whose client left frees its slot', () => {
  const c = new Circuit(opts);
  for (let i = 0; i < 3; i++) c.record(0, 'fail', false);
  c.allow(5_000);
  c.allow(5_000);
  c.record(5_001, 'none', true);
  assert.equal(c.allow(5_002), 'probe');
});

test('failure share over the window opens it even without a long run', () => {
  const c = new Circuit({ ...opts, failures: 100 });
  for (let i = 0; i < 10; i++) c.record(i * 100, i % 2 === 1 ? 'fail' : 'ok', false);
  assert.equal(c.state, 'open');
  assert.match(c.reason, /5 of 10/);
});

test('old failures fall out of the window', () => {
  const c = new Circuit({ ...opts, failures: 100 });
  for (let i = 0; i < 4; i++) c.record(0, 'fail', false);
  for (let i = 0; i < 9; i++) c.record(20_000 + i, i < 4 ? 'fail' : 'ok', false);
  assert.equal(c.state, 'closed', '4 of 9 recent (the 4 old ones are out of the window)');
});
