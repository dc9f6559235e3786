#!/usr/bin/env node
// Builds dist/: tsc compiles src/ (tests left out) to plain ES modules, then
// the files read at run time beside the code (challenge scripts, dashboard)
// are copied next to their modules. Run by `npm install` (prepare), `npm run
// build`, `npm test` and scripts/run-tests.js when src/ is newer than dist/.
// tsc rather than a bundler: one file per module keeps stack traces, the
// lazy `import()` of each CLI command and import.meta.url paths as in src/.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.error('build: typescript is missing (a development dependency): run `npm install` in the repository');
  // As `prepare` of an install without development dependencies, leave it there: bin/rampart.js says what to do.
  process.exit(process.env.npm_lifecycle_event === 'prepare' ? 0 : 1);
}
rmSync(join(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
for (const dir of ['challenge/assets', 'control/dashboard']) {
  mkdirSync(join(root, 'dist', dir), { recursive: true });
  cpSync(join(root, 'src', dir), join(root, 'dist', dir), { recursive: true });
}
writeFileSync(join(root, 'dist', '.build-stamp'), `${new Date().toISOString()}\n`);
