// Conformance cases for what steers a shared state: the detector's mode and
// the operator's override, enforcement, the version and change events, the
// signing keys and health. Registered by runConformance (conformance.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ban, eventually, mitigation, type WithHarness } from './conformance-fixtures.js';

export function modeCases(name: string, withHarness: WithHarness): void {
  test(`${name}: mode with operator override, enforcement`, () =>
    withHarness(({ a }) => {
      assert.equal(a.mode(), 'normal');
      assert.equal(a.enforcement(), 'enforce');
      a.setMode('elevated');
      assert.equal(a.mode(), 'elevated');
      a.overrideMode('under_attack');
      a.setMode('recovering');
      assert.equal(a.mode(), 'under_attack', 'the operator wins over the detector');
      a.overrideMode(null);
      assert.equal(a.mode(), 'recovering', 'null hands control back to the detector');
      a.setEnforcement('observe');
      assert.equal(a.enforcement(), 'observe');
    }));

  test(`${name}: the operator's override is readable apart from the effective mode`, () =>
    withHarness(({ a }) => {
      assert.equal(a.modeOverride(), null);
      a.setMode('elevated');
      a.overrideMode('under_attack');
      assert.equal(a.modeOverride(), 'under_attack');
      assert.equal(a.mode(), 'under_attack');
      a.overrideMode(null);
      assert.equal(a.modeOverride(), null);
      assert.equal(a.mode(), 'elevated');
    }));
}

export function changeCases(name: string, withHarness: WithHarness): void {
  test(`${name}: version bumps and onChange fires on changes only`, () =>
    withHarness(({ a, now }) => {
      let calls = 0;
      const off = a.onChange(() => calls++);
      const v0 = a.version();
      a.setMode('elevated');
      a.setMode('elevated');
      assert.equal(calls, 1, 'setting the same mode again is not a change');
      a.addBan(ban('192.0.2.9', now() + 1000));
      a.putMitigation(mitigation('m', now() + 1000));
      assert.equal(a.removeBan('192.0.2.10'), false);
      assert.equal(calls, 3);
      assert.ok(a.version() >= v0 + 3);
      off();
      a.setMode('normal');
      assert.equal(calls, 3, 'unsubscribed');
    }));

  test(`${name}: health reports the backend`, () =>
    withHarness(({ a }) => {
      const h = a.health();
      assert.ok(h.backend === 'memory' || h.backend === 'redis');
      assert.equal(h.connected, true);
      assert.equal(h.error, '');
    }));
}

export function keyCases(name: string, withHarness: WithHarness): void {
  test(`${name}: signing keys are random, 32 bytes, and rotate keeping the previous one`, () =>
    withHarness(async ({ a, advance }) => {
      const first = a.keys();
      assert.ok(first.length >= 1);
      assert.equal(first[0].length, 32);
      assert.notEqual(first[0].toString('hex'), Buffer.alloc(32).toString('hex'));
      advance(60_000);
      await eventually('key rotation', () => !a.keys()[0].equals(first[0]));
      const after = a.keys();
      assert.equal(after.length, 2);
      assert.ok(after[1].equals(first[0]), 'the previous key stays for verification');
    }, 30_000));
}
