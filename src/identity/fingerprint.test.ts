// The request fingerprint: what makes two requests the same software, and
// what does not (a tool's state: its cookie, the page it came from).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Req } from '../core/model.js';
import { fingerprintOf } from './fingerprint.js';

/** A request as Node hands it over: raw header pairs in order, and the lower-cased map. */
function req(pairs: [string, string][]): Req {
  const headers: Record<string, string> = {};
  for (const [k, v] of pairs) headers[k.toLowerCase()] = v;
  return { rawHeaders: pairs.flat(), headers } as unknown as Req;
}

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const browser: [string, string][] = [
  ['Host', 'example.org'],
  ['User-Agent', CHROME],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'en-GB,en;q=0.9'],
  ['Accept-Encoding', 'gzip, deflate, br'],
];

test('a tool keeps its fingerprint when it starts sending its cookie and a referer; a browser that returns the cookie is apart from one that drops it', () => {
  const curl: [string, string][] = [
    ['Host', 'example.org'],
    ['User-Agent', 'curl/8.5.0'],
    ['Accept', '*/*'],
  ];
  const first = fingerprintOf(req(curl));
  assert.equal(
    fingerprintOf(req([...curl, ['Referer', 'https://example.org/'], ['Cookie', 'rampart_seen=abc']])),
    first,
  );
  assert.equal(fingerprintOf(req([...curl, ['cookie', 'a=1']])), first);
  // People send the seen cookie back from their second request; a browser-identical flood never does.
  const person = fingerprintOf(req([...browser, ['Cookie', 'rampart_seen=abc']]));
  assert.notEqual(person, fingerprintOf(req(browser)));
});

test('other software is another fingerprint: header order, family, the shape of Accept', () => {
  const base = fingerprintOf(req(browser));
  assert.notEqual(
    fingerprintOf(req([browser[0], browser[2], browser[1], browser[3], browser[4]])),
    base,
    'header order',
  );
  assert.notEqual(
    fingerprintOf(req([browser[0], ['User-Agent', 'curl/8.5.0'], ...browser.slice(2)])),
    base,
    'user-agent family',
  );
  assert.notEqual(
    fingerprintOf(req([browser[0], browser[1], ['Accept', '*/*'], browser[3], browser[4]])),
    base,
    'accept shape',
  );
  assert.notEqual(fingerprintOf(req([...browser, ['X-Requested-With', 'XMLHttpRequest']])), base, 'an extra header');
  // Headers named like the state headers but longer are the software's own.
  assert.notEqual(fingerprintOf(req([...browser, ['Cookie2', 'x']])), base);
});
