// Fails any import that points the wrong way (DESIGN.md, "Modules and the
// direction of imports"): core ← config ← middle layer ← proxy ← app ← cli;
// control beside proxy, never imported by the data plane; drill imports core only;
// middle-layer modules do not import each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const SRC = resolve(import.meta.dirname, '../src');
const MIDDLE = ['guard', 'identity', 'policy', 'challenge', 'cache', 'detector', 'state'];

/** Which modules each module may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  config: ['core'],
  ...Object.fromEntries(MIDDLE.map((m) => [m, ['core', 'config']])),
  proxy: ['core', 'config', ...MIDDLE],
  control: ['core', 'config', ...MIDDLE],
  // The channels between processes and nodes and their message catalogue (docs/topology.md).
  exchange: ['core', 'config', ...MIDDLE, 'control'],
  app: ['core', 'config', ...MIDDLE, 'proxy', 'control', 'demo', 'exchange'],
  cli: ['core', 'config', 'app', 'demo', 'drill', 'control'],
  drill: ['core'],
  demo: ['core'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function moduleOf(file: string): string {
  return relative(SRC, file).split(sep)[0];
}

test('every src module is known to the architecture rules', () => {
  const modules = new Set(files(SRC).map(moduleOf));
  for (const m of modules) assert.ok(m in ALLOWED, `src/${m} is not in the import rules of test/architecture.test.ts`);
});

test('imports point the way DESIGN.md says', () => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    const from = moduleOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(
      /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
    )) {
      const spec = m[1] ?? m[2];
      const target = moduleOf(resolve(dirname(file), spec));
      if (target === from) continue;
      if (!ALLOWED[from]?.includes(target)) wrong.push(`${relative(SRC, file)} imports ${target} (${spec})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('core does no I/O', () => {
  // Type-only imports and node:net's pure address checks are fine.
  const io =
    /^import\s+(?!type\b)(?!\{\s*(?:isIP(?:v4|v6)?\s*,?\s*)+\})[^;]*from\s+['"]node:(fs|net|http|https|http2|tls|child_process|dgram)['"]/m;
  const bad = files(join(SRC, 'core')).filter((f) => io.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    bad.map((f) => relative(SRC, f)),
    [],
  );
});
