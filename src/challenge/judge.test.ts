import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { judge } from './judge.js';
import { createMacRing } from '../core/mac.js';
import { createNoncePool } from './nonce-pool.js';
import { createNonceStore } from './nonce-store.js';
import { checkSolution, leadingZeroBits, solve } from './pow.js';
import { createTokens } from './token.js';

const T0 = 1_900_000_000_000;
const TTL = 300_000;
const key = randomBytes(32);

function setup() {
  const tokens = createTokens(
    createMacRing(() => [key]),
    createNoncePool(),
  );
  return { tokens, store: createNonceStore(16) };
}

test('a solved challenge is accepted once; the same solution again is a replay', () => {
  const { tokens, store } = setup();
  const { token, seed } = tokens.issue(7, 9, 8, 1, T0, TTL);
  const counter = String(solve(seed, 8));
  const sub = { token, counter, prefixKey: 7, tag: 9, now: T0 + 1500, minWaitMs: 0 };
  const first = judge(tokens, store, sub);
  assert.equal(first.outcome, 'solved');
  assert.equal(first.claims?.route, 1);
  assert.equal(first.claims?.issuedAt, T0);
  assert.equal(judge(tokens, store, sub).outcome, 'replayed');
});

test('expired, forged, mismatched and wrong solutions are refused', () => {
  const { tokens, store } = setup();
  const { token, seed } = tokens.issue(7, 9, 8, 0, T0, TTL);
  let counter = solve(seed, 8);
  while (checkSolution(seed, String(counter + 1), 8)) counter++; // make counter+1 a non-solution
  const ok = { token, counter: String(counter), prefixKey: 7, tag: 9, now: T0 + 1000, minWaitMs: 0 };
  const forged = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41);
  const rows: [string, object, string][] = [
    ['expired', { now: T0 + TTL }, 'expired'],
    ['forged', { token: forged }, 'failed'],
    ['other prefix', { prefixKey: 8 }, 'failed'],
    ['other browser', { tag: 10 }, 'failed'],
    ['wrong counter', { counter: String(counter + 1) }, 'failed'],
    ['not a number', { counter: '1e3' }, 'failed'],
    ['leading zero', { counter: `0${counter}` }, 'failed'],
    ['empty token', { token: '' }, 'failed'],
  ];
  for (const [name, patch, want] of rows) assert.equal(judge(tokens, store, { ...ok, ...patch }).outcome, want, name);
  assert.equal(judge(tokens, store, ok).outcome, 'solved', 'refusals did not burn the nonce');
});

test('a token signed with a rotated-out key is refused; with the old key still in the ring it is accepted', () => {
  const older = randomBytes(32);
  const oldTokens = createTokens(
    createMacRing(() => [older]),
    createNoncePool(),
  );
  const { token, seed } = oldTokens.issue(1, 1, 4, 0, T0, TTL);
  const sub = { token, counter: String(solve(seed, 4)), prefixKey: 1, tag: 1, now: T0, minWaitMs: 0 };
  assert.equal(
    judge(
      createTokens(
        createMacRing(() => [key]),
        createNoncePool(),
      ),
      createNonceStore(),
      sub,
    ).outcome,
    'failed',
  );
  assert.equal(
    judge(
      createTokens(
        createMacRing(() => [key, older]),
        createNoncePool(),
      ),
      createNonceStore(),
      sub,
    ).outcome,
    'solved',
  );
});

test('no-JS check: passes after the minimum wait without work, once', () => {
  const { tokens, store } = setup();
  const { token } = tokens.issue(7, 9, 16, 0, T0, TTL);
  const sub = { token, counter: '', prefixKey: 7, tag: 9, now: T0 + 4999, minWaitMs: 5000 };
  assert.equal(judge(tokens, store, sub).outcome, 'failed');
  assert.equal(judge(tokens, store, { ...sub, now: T0 + 5000 }).outcome, 'solved');
  assert.equal(judge(tokens, store, { ...sub, now: T0 + 6000 }).outcome, 'replayed');
});

test('leading zero bits are counted across bytes', () => {
  const rows: [number[], number][] = [
    [[0x80], 0],
    [[0x01], 7],
    [[0, 0x40], 9],
    [[0, 0, 0xff], 16],
    [[0, 0], 16],
  ];
  for (const [bytes, want] of rows) assert.equal(leadingZeroBits(Uint8Array.from(bytes)), want, String(bytes));
});

test('tokens carry distinct nonces and a seed that fits one SHA-256 block with any counter', () => {
  const { tokens } = setup();
  const seeds = new Set<string>();
  for (let i = 0; i < 3000; i++) seeds.add(tokens.issue(1, 1, 8, 0, T0, TTL).seed); // crosses a pool refill
  assert.equal(seeds.size, 3000);
  assert.ok([...seeds][0].length + 15 < 56);
});
