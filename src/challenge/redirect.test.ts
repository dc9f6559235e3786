import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeReturn } from './redirect.js';

test('return targets: only same-origin paths survive', () => {
  const rows: [unknown, string][] = [
    ['/ok?x=1', '/ok?x=1'],
    ['/', '/'],
    ['/news/2026/story#top', '/news/2026/story#top'],
    ['/a//b', '/a//b'],
    ['//evil.com', '/'],
    ['/\\evil.com', '/'],
    ['\\\\evil.com', '/'],
    ['https://evil.com', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.com', '/'],
    ['/\t/evil.com', '/'],
    ['/\n/evil.com', '/'],
    ['/ok\r\nSet-Cookie: x=1', '/'],
    ['/caf\u00e9', '/'],
    ['/.rampart/challenge/verify', '/'],
    ['', '/'],
    [undefined, '/'],
    [null, '/'],
    [42, '/'],
    [`/${'a'.repeat(3000)}`, '/'],
  ];
  for (const [input, want] of rows) assert.equal(safeReturn(input), want, JSON.stringify(input));
});
