import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileCrawlers, type Resolver } from './crawlers.js';
import { crawlersSchema } from '../config/schema/challenge.js';

const GOOGLE = [{ agent: 'Googlebot', domains: ['googlebot.com', 'google.com'] }];
const UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

/** A DNS table for the decision logic; the last test uses the real resolver. */
function table(ptr: Record<string, string[]>, a: Record<string, string[]>): Resolver {
  return {
    reverse: async (ip) => ptr[ip] ?? Promise.reject(new Error('ENOTFOUND')),
    forward: async (n) => a[n] ?? Promise.reject(new Error('ENOTFOUND')),
  };
}

test('disabled (the default) compiles to null: the stage pays nothing', () => {
  assert.equal(
    compileCrawlers({ enabled: false, known: GOOGLE }, () => 0),
    null,
  );
  assert.equal(crawlersSchema.parse({}).enabled, false);
  assert.ok(crawlersSchema.parse({}).known.some((k) => k.agent === 'Googlebot'));
});

test("only forward-confirmed PTR names in the crawler's domains pass, after the background lookup", async () => {
  const dns = table(
    {
      '66.249.66.1': ['crawl-66-249-66-1.googlebot.com'],
      '203.0.113.5': ['crawl.evilgooglebot.com'],
      '203.0.113.6': ['crawl-1.googlebot.com'],
    },
    {
      'crawl-66-249-66-1.googlebot.com': ['66.249.66.1'],
      'crawl.evilgooglebot.com': ['203.0.113.5'],
      'crawl-1.googlebot.com': ['66.249.66.9'],
    },
  );
  let t = 1000;
  const c = compileCrawlers({ enabled: true, known: GOOGLE }, () => t, dns)!;
  const cases: [string, string | undefined, boolean][] = [
    ['66.249.66.1', UA, true], // genuine
    ['203.0.113.5', UA, false], // look-alike domain
    ['203.0.113.6', UA, false], // PTR claims googlebot.com, forward does not confirm
    ['198.51.100.1', UA, false], // no PTR at all
  ];
  for (const [ip, ua] of cases) assert.equal(c.allowed(ua, ip), false, `${ip}: nothing is known on the first request`);
  await c.settled();
  for (const [ip, ua, ok] of cases) assert.equal(c.allowed(ua, ip), ok, ip);
  assert.equal(
    c.allowed('Mozilla/5.0 Firefox/128', '66.249.66.1'),
    false,
    'a browser from a crawler address is no crawler',
  );
  assert.equal(c.allowed(undefined, '66.249.66.1'), false);
  assert.deepEqual(c.stats, { verified: 1, refused: 3, lookups: 4, skipped: 0 });
  t += 3_600_001;
  assert.equal(c.allowed(UA, '66.249.66.1'), false, 'expired results are looked up again');
  await c.settled();
  assert.equal(c.allowed(UA, '66.249.66.1'), true);
});

test('lookups in flight are capped: a flood of fake Googlebots from many addresses cannot queue DNS work', async () => {
  let calls = 0;
  const slow: Resolver = {
    reverse: () => {
      calls++;
      return new Promise((r) => setTimeout(() => r([]), 20));
    },
    forward: async () => [],
  };
  const c = compileCrawlers({ enabled: true, known: GOOGLE }, () => 0, slow)!;
  for (let i = 0; i < 100; i++) c.allowed(UA, `203.0.113.${i}`);
  assert.equal(calls, 8);
  assert.equal(c.stats.skipped, 92);
  await c.settled();
});

test('the system resolver verifies a loopback "crawler" by its hosts-file name', async () => {
  const c = compileCrawlers({ enabled: true, known: [{ agent: 'TestBot', domains: ['localhost'] }] }, () => 0)!;
  assert.equal(c.allowed('TestBot/1.0', '127.0.0.1'), false);
  await c.settled();
  assert.equal(c.allowed('TestBot/1.0', '127.0.0.1'), true, 'localhost resolves back to 127.0.0.1');
  assert.equal(c.allowed('TestBot/1.0', '127.0.0.2'), false);
  await c.settled();
  assert.equal(c.allowed('TestBot/1.0', '127.0.0.2'), false, 'no name for 127.0.0.2');
});
