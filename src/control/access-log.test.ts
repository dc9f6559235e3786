// The access log observer: allowed requests sampled 1 in round(1/share),
// refusals always written up to the per-second cap with the rest counted in
// the next line's `suppressed`; no query strings in lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createManualClock } from '../core/clock.js';
import { ALLOW, RequestContext, verdict } from '../core/model.js';
import { createAccessLog } from './access-log.js';

const LIMIT = verdict('limit/login', 'limit', 429, 1);
function ctx(v = ALLOW): RequestContext {
  const c = new RequestContext({} as IncomingMessage, {} as ServerResponse);
  c.verdict = v;
  c.path = '/login';
  c.query = 'email=someone%40example.org';
  c.status = v.status;
  return c;
}

test('allowed requests are sampled; refusals are capped per second and the excess is reported', () => {
  const clock = createManualClock(5_000);
  const lines: { msg: string; line: Record<string, unknown> }[] = [];
  const opts = {
    sample: 0.1,
    refusalsPerSecond: 3,
    now: clock.now,
    write: (line: Record<string, unknown>, msg: string) => lines.push({ msg, line }),
  };
  const log = createAccessLog(opts);
  for (let i = 0; i < 100; i++) log(ctx());
  assert.equal(lines.filter((l) => l.msg === 'access').length, 10);
  for (let i = 0; i < 10; i++) log(ctx(LIMIT));
  assert.equal(lines.filter((l) => l.msg === 'refused').length, 3);
  clock.advance(1000);
  log(ctx(LIMIT));
  const last = lines[lines.length - 1];
  assert.equal(last.msg, 'refused');
  assert.equal(last.line.suppressed, 7);
  assert.equal(last.line.verdict, 'limit/login');
  assert.ok(!JSON.stringify(lines).includes('someone'), 'query strings are never logged');
  opts.sample = 0;
  const before = lines.length;
  for (let i = 0; i < 100; i++) log(ctx());
  assert.equal(lines.length, before, 'share 0 logs no allowed request (and a reload can change it)');
});
