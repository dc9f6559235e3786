// The access log observer: allowed requests sampled 1 in round(1/share),
// refusals always written up to the per-second cap with the rest counted in
// the next line's `suppressed`; no query strings in lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createManualClock } from '../core/clock.js';
import { ALLOW, CLIENT_COOKIE, RequestContext, verdict } from '../core/model.js';
import { challengeVerdicts } from '../challenge/respond.js';
import { createAccessLog, KNOWN_AGE_MS } from './access-log.js';

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

/** An access log that samples no allowed request, `cap` refusals a second, at `start` ms; its lines. */
function refusalsOnly(start: number, cap: number) {
  const clock = createManualClock(start);
  const lines: { msg: string; line: Record<string, unknown> }[] = [];
  const log = createAccessLog({
    sample: 0,
    refusalsPerSecond: cap,
    now: clock.now,
    write: (line, msg) => lines.push({ msg, line }),
  });
  return { lines, log };
}

test('a challenge answered with an error status is a refusal that says what asked for it; a cookie check’s redirect is not', () => {
  const { lines, log } = refusalsOnly(5_000, 10);
  const pow = ctx(challengeVerdicts.required);
  pow.askedBy = 'mitigate/challenge-new';
  log(pow);
  const check = ctx(challengeVerdicts.cookie);
  check.askedBy = 'surge/guard';
  log(check);
  assert.equal(lines.length, 1);
  assert.equal(lines[0].msg, 'refused');
  assert.equal(lines[0].line.verdict, 'challenge/required');
  assert.equal(lines[0].line.askedBy, 'mitigate/challenge-new');
  assert.equal(lines[0].line.seenS, undefined, 'no seen cookie returned: no age');
});

test('refusals of clients known for 30 s or more have a budget of their own, with the age and mark of their seen cookie', () => {
  const { lines, log } = refusalsOnly(100_000, 3);
  for (let i = 0; i < 50; i++) {
    const c = ctx(LIMIT);
    c.clientState = CLIENT_COOKIE;
    c.seenAt = 99_000; // a crowd's client first seen a second ago
    log(c);
  }
  assert.equal(lines.length, 3, 'the flood’s lines are capped');
  const person = ctx(challengeVerdicts.required);
  person.askedBy = 'challenge/require';
  person.clientState = CLIENT_COOKIE;
  person.seenAt = 100_000 - KNOWN_AGE_MS;
  person.personLike = true;
  log(person);
  assert.equal(lines.length, 4, 'a known client’s refusal is written past the flood’s cap');
  const last = lines[3].line;
  assert.equal(last.askedBy, 'challenge/require');
  assert.equal(last.seenS, KNOWN_AGE_MS / 1000);
  assert.equal(last.marked, true);
  assert.equal(last.suppressed, undefined, 'the flood’s suppressed lines are reported on its own next line');
});
