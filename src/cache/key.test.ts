import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext } from '../core/model.js';
import type { Req, Res } from '../core/model.js';
import { cacheKey, compileCookieFilter, normaliseQuery } from './key.js';

function ctx(path: string, query: string): RequestContext {
  const c = new RequestContext({} as Req, {} as Res);
  c.host = 'Site.Test';
  c.path = path;
  c.query = query;
  c.target = query ? `${path}?${query}` : path;
  return c;
}

test('under-attack normalisation keeps only allowlisted parameters, in order, and rewrites the target', () => {
  const c = ctx('/search', 'q=water&_=123&utm_source=x&page=2&q2=y');
  normaliseQuery(c, new Set(['q', 'page']));
  assert.equal(c.query, 'q=water&page=2');
  assert.equal(c.target, '/search?q=water&page=2');
  assert.equal(cacheKey(c), 'http://site.test/search?q=water&page=2');
  c.proto = 'https';
  assert.equal(cacheKey(c), 'https://site.test/search?q=water&page=2', 'the scheme is part of the key');
});

test('random-query busting collapses onto one key', () => {
  const keys = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const c = ctx('/', `nocache=${Math.random()}`);
    normaliseQuery(c, new Set());
    keys.add(cacheKey(c));
    assert.equal(c.target, '/');
  }
  assert.deepEqual([...keys], ['http://site.test/']);
});

test('encoded parameter names are matched decoded; undecodable ones are dropped', () => {
  const c = ctx('/s', 'q%20x=1&%E0%A4%A=2&q=3');
  normaliseQuery(c, new Set(['q x', 'q']));
  assert.equal(c.query, 'q%20x=1&q=3');
});

test('cookies: only non-ignored cookies make a request private', () => {
  const has = compileCookieFilter(['rampart_pass', '_ga']);
  assert.equal(has(undefined), false);
  assert.equal(has('rampart_pass=abc'), false);
  assert.equal(has('rampart_pass=abc; _ga=1'), false);
  assert.equal(has('rampart_pass=abc; session=s3cr3t'), true);
});
