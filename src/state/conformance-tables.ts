// Conformance cases for the two tables of a shared state: bans (exact and
// CIDR, most specific wins) and mitigations, their expiry, and the refusal of
// bad input. Registered by runConformance (conformance.ts) for each backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ban, CONFORMANCE_T0, mitigation, type WithHarness } from './conformance-fixtures.js';

export function banCases(name: string, withHarness: WithHarness): void {
  test(`${name}: exact and CIDR bans, IPv4 and IPv6, canonical targets`, () =>
    withHarness(({ a, now }) => {
      a.addBan(ban('203.0.113.7'));
      a.addBan(ban('198.51.100.0/24'));
      a.addBan(ban('2001:DB8::1'));
      a.addBan(ban('2001:db8:aa::/48'));
      const t = now();
      assert.equal(a.isBanned('203.0.113.7', t)?.target, '203.0.113.7');
      assert.equal(a.isBanned('::ffff:203.0.113.7', t)?.target, '203.0.113.7');
      assert.equal(a.isBanned('203.0.113.8', t), null);
      assert.equal(a.isBanned('198.51.100.250', t)?.target, '198.51.100.0/24');
      assert.equal(a.isBanned('198.51.101.1', t), null);
      assert.equal(a.isBanned('2001:db8:0:0::1', t)?.target, '2001:DB8::1');
      assert.equal(a.isBanned('2001:db8:aa:ffff::9', t)?.target, '2001:db8:aa::/48');
      assert.equal(a.isBanned('2001:db8:ab::9', t), null);
      assert.equal(a.isBanned('not an ip', t), null);
      assert.equal(a.bans().length, 4);
      assert.equal(a.removeBan('203.0.113.7/32'), true, 'the same address written as /32 removes it');
      assert.equal(a.removeBan('203.0.113.7'), false);
      assert.equal(a.isBanned('203.0.113.7', t), null);
      assert.equal(a.bans().length, 3);
    }));

  test(`${name}: the most specific ban wins and a ban is replaced, not duplicated`, () =>
    withHarness(({ a, now }) => {
      a.addBan(ban('10.0.0.0/8', now() + 10_000, { rule: 'ban/wide' }));
      a.addBan(ban('10.1.0.0/16', now() + 10_000, { rule: 'ban/narrow' }));
      assert.equal(a.isBanned('10.1.2.3', now())?.rule, 'ban/narrow');
      assert.equal(a.isBanned('10.2.2.3', now())?.rule, 'ban/wide');
      a.addBan(ban('10.1.0.0/16', now() + 99_000, { rule: 'ban/narrow' }));
      assert.equal(a.bans().length, 2);
      assert.equal(a.isBanned('10.1.2.3', now())?.until, now() + 99_000);
    }));
}

export function mitigationCases(name: string, withHarness: WithHarness): void {
  test(`${name}: bans and mitigations expire by themselves`, () =>
    withHarness(({ a, now, advance }) => {
      a.addBan(ban('192.0.2.1', now() + 1000));
      a.addBan(ban('192.0.2.2', now() + 5000));
      a.putMitigation(mitigation('m1', now() + 1000));
      a.putMitigation(mitigation('m2', now() + 5000));
      assert.notEqual(a.isBanned('192.0.2.1', now()), null);
      assert.equal(a.isBanned('192.0.2.1', now() + 1000), null, 'checked on read with the passed now');
      advance(2000);
      assert.deepEqual(
        a.bans().map((b) => b.target),
        ['192.0.2.2'],
      );
      assert.deepEqual(
        a.mitigations().map((m) => m.id),
        ['m2'],
      );
      assert.notEqual(a.isBanned('192.0.2.2', now()), null);
    }));

  test(`${name}: mitigations put, replace, remove`, () =>
    withHarness(({ a, now }) => {
      a.putMitigation(mitigation('sig-1', now() + 10_000));
      a.putMitigation(mitigation('sig-1', now() + 20_000, { action: 'challenge' }));
      a.putMitigation(mitigation('sig-2', now() + 10_000));
      assert.equal(a.mitigations().length, 2);
      const m = a.mitigations().find((x) => x.id === 'sig-1')!;
      assert.equal(m.action, 'challenge');
      assert.deepEqual(m.match.paths, ['/wp-login.php']);
      assert.equal(m.figures.rps, 4100);
      assert.equal(a.removeMitigation('sig-1'), true);
      assert.equal(a.removeMitigation('sig-1'), false);
      assert.deepEqual(
        a.mitigations().map((x) => x.id),
        ['sig-2'],
      );
    }));
}

export function validationCases(name: string, withHarness: WithHarness): void {
  test(`${name}: bad input is refused with a hint and leaves the state usable`, () =>
    withHarness(({ a, now }) => {
      for (const bad of ['999.1.1.1', '10.0.0.0/33', 'example.org', '', '1.2.3.4/x']) {
        assert.throws(
          () => a.addBan(ban(bad)),
          (e: Error & { hint?: string }) => /not an IP address or CIDR/.test(e.message) && !!e.hint,
          bad,
        );
      }
      assert.throws(() => a.addBan(ban('192.0.2.1', Number.NaN)), /until/);
      assert.throws(() => a.addBan(ban('192.0.2.1', CONFORMANCE_T0, { rule: 'limit/x' })), /ban\/<name>/);
      assert.throws(() => a.setMode('panic' as never), /not a mode/);
      assert.throws(() => a.overrideMode('calm' as never), /not a mode/);
      assert.throws(() => a.setEnforcement('maybe' as never), /enforce or observe|not an enforcement/);
      assert.throws(() => a.putMitigation(mitigation('')), /mitigation id/);
      assert.throws(() => a.putMitigation(mitigation('x', CONFORMANCE_T0, { action: 'nuke' as never })), /action/);
      assert.equal(a.bans().length, 0);
      a.addBan(ban('192.0.2.1', now() + 1000));
      assert.notEqual(a.isBanned('192.0.2.1', now()), null);
    }));
}
