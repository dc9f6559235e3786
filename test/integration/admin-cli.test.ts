// The operator CLI (status, ban, mode) against a real Rampart's admin API,
// run in-process through main(): happy paths change the shield's state, and
// malformed commands fail with one clear line and a hint (exit 1, no stack).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

const TOKEN = 'cli-test-token-0123456789';
let origin: EchoOrigin;
let shield: Awaited<ReturnType<typeof startShield>>;
let flags: string[] = [];

before(async () => {
  origin = await startEchoOrigin();
  shield = await startShield(origin.url, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
  flags = ['--admin', shield.control.url(), '--token', TOKEN];
});
after(async () => {
  await shield?.stop();
  await origin?.close();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('rampart status prints mode, rates and state', async () => {
  const r = await cli('status', ...flags);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^mode {9}normal \(enforce\)$/m);
  assert.match(r.out, /^state {8}memory$/m);
  const j = await cli('status', '--json', ...flags);
  assert.equal(JSON.parse(j.out).mode, 'normal');
});

test('rampart ban add / ls / rm change the shield bans', async () => {
  let r = await cli('ban', 'add', '203.0.113.0/24', '--for', '2h', '--reason', 'scanner range', ...flags);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^banned 203\.0\.113\.0\/24 until \d{4}-/);
  assert.ok(shield.state.isBanned('203.0.113.50', Date.now()));
  r = await cli('ban', 'ls', ...flags);
  assert.match(r.out, /203\.0\.113\.0\/24 +ban\/manual +until .*scanner range/);
  r = await cli('ban', 'rm', '203.0.113.0/24', ...flags);
  assert.equal(r.code, 0, r.err);
  assert.equal(shield.state.isBanned('203.0.113.50', Date.now()), null);
  assert.equal((await cli('ban', 'ls', ...flags)).out, 'no active bans');
});

test('rampart mode under-attack / observe / auto', async () => {
  let r = await cli('mode', 'under-attack', ...flags);
  assert.equal(r.code, 0, r.err);
  assert.equal(shield.state.mode(), 'under_attack');
  r = await cli('mode', 'observe', ...flags);
  assert.equal(shield.state.enforcement(), 'observe');
  r = await cli('mode', 'enforce', ...flags);
  r = await cli('mode', 'auto', ...flags);
  assert.match(r.out, /the detector decides/);
  assert.equal(shield.state.mode(), 'normal');
  assert.equal(shield.state.enforcement(), 'enforce');
});

test('malformed commands get one clear error line with a hint', async () => {
  const cases: [string[], RegExp][] = [
    [['ban'], /ban: missing subcommand/],
    [['ban', 'kick', '1.2.3.4'], /unknown subcommand 'kick'/],
    [['ban', 'add'], /ban add: missing TARGET/],
    [['ban', 'add', 'not-an-ip'], /not an IP address or CIDR range: "not-an-ip"\n {2}hint: /],
    [['ban', 'add', '10.0.0.0/2'], /wider than \/8/],
    [['ban', 'add', '192.0.2.1', 'extra'], /unexpected argument 'extra'/],
    [['ban', 'add', '192.0.2.1', '--for', 'forever'], /not a duration: "forever"/],
    [['ban', 'rm', '192.0.2.1', '--for', '1h'], /only go with 'ban add'/],
    [['ban', 'rm', '192.0.2.99'], /no ban on 192\.0\.2\.99/],
    [['ban', 'ls', '--fro', '1h'], /unknown flag --fro/],
    [['mode'], /mode: missing the mode/],
    [['mode', 'panic'], /unknown mode 'panic'/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv, ...flags);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.err, re, argv.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});

test('a wrong token or an unreachable admin API is a clear error', async () => {
  let r = await cli('status', '--admin', shield.control.url(), '--token', 'wrong-token-0000000000');
  assert.equal(r.code, 1);
  assert.match(r.err, /the admin token is wrong/);
  r = await cli('status', '--admin', 'http://127.0.0.1:1', '--token', TOKEN);
  assert.equal(r.code, 1);
  assert.match(r.err, /cannot reach the admin API at http:\/\/127\.0\.0\.1:1/);
  r = await cli('status', '--admin', 'ftp://x', '--token', TOKEN);
  assert.match(r.err, /not an admin URL/);
});
