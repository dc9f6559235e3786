#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node:test through tsx.
// Node 20's --test takes no globs, so the files are listed here. Tests that
// start bin/rampart.js run the compiled dist/: it is rebuilt first when any
// file under src/ is newer than the last build.
// Usage: node scripts/run-tests.js [filter-substring ...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
}
walk(join(root, 'src'));
walk(join(root, 'test'));

/** Newest modification time of the files under dir (0 when none). */
function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}
const stamp = join(root, 'dist', '.build-stamp');
if (!existsSync(stamp) || newest(join(root, 'src')) > statSync(stamp).mtimeMs) {
  console.error('run-tests: src/ is newer than dist/: building');
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.js')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const filters = process.argv.slice(2);
const chosen = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The timeout also bounds each file as a whole: test/integration/package.test.ts compiles better-sqlite3
// from source (~90 s alone), which on a loaded 2-core CI machine ran past 120 s once.
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...chosen],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, RAMPART_TEST: '1' },
  },
);
process.exit(r.status ?? 1);
