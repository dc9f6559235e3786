#!/usr/bin/env node
// Entry point: runs the compiled CLI (dist/, built by `npm install` or
// `npm run build`). No TypeScript loader is registered here: production runs
// plain JavaScript; tests and benchmarks import src/ through tsx themselves.
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('dist/cli/main.js')) throw e;
  console.error('rampart: dist/ is missing: run `npm run build` (or `npm install`) in the repository first');
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2));
