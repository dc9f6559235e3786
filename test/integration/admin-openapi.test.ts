// docs/admin-api.yaml (plus any docs/admin-api.<module>.yaml fragment of a
// module that contributes routes) matches what the admin listener serves:
// every route the router holds is documented (method and path), every
// documented operation is served, each lists its responses, every $ref resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

type Doc = { openapi: string; paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };
const DOCS = new URL('../../docs/', import.meta.url);
const doc = parse(readFileSync(new URL('admin-api.yaml', DOCS), 'utf8')) as Doc;
// Modules that contribute routes may describe them in their own fragment,
// docs/admin-api.<module>.yaml (an OpenAPI document with just `paths`), merged here.
// Routes of the core document must be served; a fragment's routes belong to an
// optional module (e.g. incidents when evidence.enabled), so they must only be documented.
const corePaths = new Set(Object.keys(doc.paths));
for (const f of readdirSync(DOCS).filter((n) => /^admin-api\.[a-z0-9-]+\.yaml$/.test(n))) {
  const frag = parse(readFileSync(new URL(f, DOCS), 'utf8')) as Partial<Doc>;
  for (const [path, ops] of Object.entries(frag.paths ?? {})) doc.paths[path] = { ...doc.paths[path], ...ops };
}
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

test('every served admin route is in docs/admin-api.yaml and every documented one is served', async () => {
  assert.match(doc.openapi, /^3\.1\./);
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { admin: { listen: '127.0.0.1:0', token: 'openapi-test-token-0123' } });
  try {
    const served = shield.control.routes().map((r) => {
      const [method, path] = r.split(' ');
      return `${method.toLowerCase()} ${path.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
    });
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m} ${path}`),
    );
    assert.deepEqual(
      served.filter((r) => !documented.includes(r)),
      [],
      'served but not documented',
    );
    assert.deepEqual(
      documented.filter((r) => !served.includes(r) && corePaths.has(r.slice(r.indexOf(' ') + 1))),
      [],
      'documented in docs/admin-api.yaml but not served',
    );
    for (const [path, ops] of Object.entries(doc.paths))
      for (const m of Object.keys(ops))
        if (METHODS.includes(m))
          assert.ok(Object.keys(ops[m].responses ?? {}).length > 0, `${m} ${path} lists responses`);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('every $ref in the document resolves', () => {
  const root = doc as unknown as Record<string, unknown>;
  const refs: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) k === '$ref' ? refs.push(String(x)) : walk(x);
  };
  walk(doc);
  assert.ok(refs.length > 10);
  for (const ref of refs) {
    let cur: unknown = root;
    for (const part of ref.replace(/^#\//, '').split('/')) cur = (cur as Record<string, unknown> | undefined)?.[part];
    assert.ok(cur, `unresolved ${ref}`);
  }
});
