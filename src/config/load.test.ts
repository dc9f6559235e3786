// The config corpus: every good file loads, every bad file fails with the
// errors its "# expect:" lines name (all of them at once, with YAML paths).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile, loadConfigObject, loadConfigText } from './load.js';
import { ConfigError } from '../core/errors.js';
import { parseDuration, parseSize } from './units.js';

const DIR = join(import.meta.dirname, '../../test/fixtures/config');

for (const name of readdirSync(join(DIR, 'good'))) {
  test(`good config loads: ${name}`, () => {
    const c = loadConfigFile(join(DIR, 'good', name));
    assert.ok(c.origin.startsWith('http'));
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits), 'config is deep-frozen');
  });
}

for (const name of readdirSync(join(DIR, 'bad'))) {
  test(`bad config is refused with its errors: ${name}`, () => {
    const file = join(DIR, 'bad', name);
    const expects = [...readFileSync(file, 'utf8').matchAll(/^# expect: (.+)$/gm)].map((m) => m[1]);
    assert.ok(expects.length > 0, 'fixture names what it expects');
    assert.throws(
      () => loadConfigFile(file),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        for (const x of expects) assert.ok(e.message.includes(x), `expected "${x}" in:\n${e.message}`);
        return true;
      },
    );
  });
}

test('camelCase keys and converted units past the loader', () => {
  const c = loadConfigFile(join(DIR, 'good', 'full.yaml'));
  assert.equal(c.limits.maxHeaderBytes, 32 * 1024);
  assert.equal(c.limits.sendTimeout, 60_000);
  assert.equal(c.limits.bodyMinRate, 512);
  assert.deepEqual(c.listen, { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(c.trustedProxies, ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1']);
});

test('defaults are the safe ones', () => {
  const c = loadConfigText('origin: http://127.0.0.1:1\nhosts: [a.example]\n');
  assert.equal(c.limits.headerTimeout, 10_000);
  assert.equal(c.admin.listen.host, '127.0.0.1');
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8080 });
});

test('errors carry the YAML line', () => {
  assert.throws(
    () => loadConfigText('origin: http://x:1\nhosts: [a.example]\nlimits:\n  idle_timeout: soon\n'),
    /limits\.idle_timeout: not a duration: "soon" \(line 4\)/,
  );
});

test('a missing file is a clear ConfigError', () => {
  assert.throws(
    () => loadConfigFile('/nonexistent/rampart.yaml'),
    (e: unknown) => e instanceof ConfigError && /cannot read .*ENOENT/.test(e.message),
  );
});

test('a non-object input is refused', () => {
  assert.throws(() => loadConfigObject('just a string'), ConfigError);
});

test('units', () => {
  const table: [string | number, number][] = [
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5m', 90_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    [42, 42],
  ];
  for (const [v, ms] of table) assert.equal(parseDuration(v), ms, String(v));
  const sizes: [string | number, number][] = [
    ['512b', 512],
    ['16kb', 16_384],
    ['1mb', 1_048_576],
    ['1GiB', 1_073_741_824],
    [7, 7],
  ];
  for (const [v, b] of sizes) assert.equal(parseSize(v), b, String(v));
  for (const bad of ['10', 'ten', '-1s', '1 year', '']) assert.ok(Number.isNaN(parseDuration(bad)), bad);
});
