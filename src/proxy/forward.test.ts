// The forwarder loads undici's Pool from the Pool's own module (forward.ts): these pin that module to
// the class undici's entry exports, so an undici that moves or changes it fails here, not silently.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { loadPool, POOL_MODULE } from './forward.js';

const require = createRequire(import.meta.url);

test("forward: the Pool's own module is the Pool undici's entry exports", () => {
  const undici = require('undici') as typeof import('undici');
  assert.equal(require(POOL_MODULE), undici.Pool);
});

test('forward: loadPool gives the Pool from its own module', () => {
  assert.equal(loadPool(), require(POOL_MODULE));
  assert.equal(typeof loadPool().prototype.dispatch, 'function');
});
