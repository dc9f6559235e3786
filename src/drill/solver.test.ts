import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { compileChallengePage } from '../challenge/page.js';
import { checkSolution } from '../challenge/pow.js';
import { textSchema } from '../config/schema/challenge.js';
import { camelize } from '../config/camelize.js';
import { createSolver, parseChallenge } from './solver.js';

test('reads the real interstitial and solves its proof of work', async () => {
  const page = compileChallengePage(camelize(textSchema.parse({})), false);
  const seed = randomBytes(8).toString('hex');
  const html = page.render('tok.en-1', seed, 10, '/search?q=a&b="c"');
  const f = parseChallenge(html);
  assert.ok(f);
  assert.deepEqual(
    { token: f.token, seed: f.seed, bits: f.bits, ret: f.ret, action: f.action },
    { token: 'tok.en-1', seed, bits: 10, ret: '/search?q=a&b="c"', action: '/.rampart/challenge/verify' },
  );
  const solver = createSolver();
  try {
    const c = await solver.solve(f.seed, f.bits);
    assert.ok(c >= 0);
    assert.ok(checkSolution(seed, String(c), 10));
    assert.equal(solver.stats().solves, 1);
  } finally {
    await solver.close();
  }
  assert.equal(parseChallenge('<html>origin page</html>'), null);
});
