// Route classes: built-in defaults with no config, custom routes by prefix,
// regex and method tried first, whole-segment matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext, type Req, type Res } from '../core/model.js';
import { policySchema } from '../config/schema/policy.js';
import { camelize } from '../config/camelize.js';
import { compileRoutes } from './routes.js';

function ctx(method: string, path: string): RequestContext {
  const c = new RequestContext({} as Req, {} as Res);
  c.method = method;
  c.path = path;
  return c;
}

const defaults = compileRoutes([]);
const cls = (r: ReturnType<typeof compileRoutes>, m: string, p: string) => r.names[r.classify(ctx(m, p))];

test('built-in classes with no config', () => {
  const table: [string, string][] = [
    ['/', 'page'],
    ['/news/2024/clean-water', 'page'],
    ['/static/app.bundle', 'static'],
    ['/assets/x', 'static'],
    ['/img/hero.PNG', 'static'],
    ['/fonts/a.woff2', 'static'],
    ['/api', 'api'],
    ['/api/v1/items', 'api'],
    ['/apis', 'page'],
    ['/login', 'login'],
    ['/login/', 'login'],
    ['/loginx', 'page'],
    ['/wp-login.php', 'login'],
    ['/donate', 'donate'],
    ['/donate/monthly', 'donate'],
    ['/admin/users', 'sensitive'],
    ['/search', 'page'],
    ['/.env', 'sensitive'],
    ['/api/logo.png', 'static'],
  ];
  for (const [p, want] of table) assert.equal(cls(defaults, 'GET', p), want, p);
});

test('custom routes win over built-ins, by prefix, regex and method; new classes get indices', () => {
  const config = camelize(
    policySchema.parse({
      routes: [
        { class: 'export', regex: '^/api/v[0-9]+/export', methods: ['post'] },
        { class: 'sensitive', prefix: '/members' },
        { name: 'newsletter', class: 'login', prefix: '/subscribe', methods: ['POST'] },
      ],
    }),
  );
  const r = compileRoutes(config.routes);
  assert.deepEqual(r.names, ['static', 'page', 'api', 'login', 'donate', 'sensitive', 'export']);
  assert.equal(cls(r, 'POST', '/api/v2/export/all'), 'export');
  assert.equal(cls(r, 'GET', '/api/v2/export/all'), 'api', 'method not listed: falls through');
  assert.equal(cls(r, 'GET', '/members/area'), 'sensitive');
  assert.equal(cls(r, 'GET', '/members.css'), 'sensitive', 'custom before the static extension rule');
  assert.equal(cls(r, 'POST', '/subscribe'), 'login');
  assert.equal(cls(r, 'GET', '/subscribe'), 'page');
  assert.equal(r.indexOf('export'), 6);
});
