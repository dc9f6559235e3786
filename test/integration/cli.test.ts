// The CLI as a user meets it: bin/rampart.js run as a child process.
// --version, --help on every command listed by `rampart --help`, one clear
// error line (no stack trace) for unknown flags and commands, `check` exit
// codes with every error printed, and a port in use at start (exit 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, runRampart } from './cli-child.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const FIXTURES = join(ROOT, 'test/fixtures/config');

function noStack(s: string): void {
  assert.doesNotMatch(s, /^\s+at /m, `stack trace printed:\n${s}`);
}

test('--version prints the package version and exits 0', async () => {
  const r = await runRampart(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `rampart ${pkg.version}`);
});

test('--help lists the commands, and every listed command has its own --help', async () => {
  const top = await runRampart(['--help']);
  assert.equal(top.code, 0);
  const section = /Commands:\n((?: {2}\S.*\n)+)/.exec(top.stdout);
  assert.ok(section, top.stdout);
  const commands = section[1]
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0]);
  for (const c of ['start', 'check', 'demo']) assert.ok(commands.includes(c), `${c} missing from --help`);
  for (const c of commands) {
    for (const flag of ['--help', '-h']) {
      const r = await runRampart([c, flag]);
      assert.equal(r.code, 0, `rampart ${c} ${flag} exited ${r.code}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: rampart ${c}\\b`), `rampart ${c} ${flag}`);
    }
  }
});

test('no command prints the usage and exits 1', async () => {
  const r = await runRampart([]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^Usage: rampart <command>/);
});

for (const c of ['start', 'check', 'demo']) {
  test(`rampart ${c} with an unknown flag: one error line naming it, a hint, exit 1`, async () => {
    const r = await runRampart([c, '--bogus-flag']);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], `rampart: ${c}: unknown flag --bogus-flag`);
    assert.ok(lines.length <= 2, r.stderr);
    assert.match(r.stderr, new RegExp(`rampart ${c} --help`));
    noStack(r.stderr);
  });
}

test('a misspelt flag gets a "did you mean"', async () => {
  const r = await runRampart(['check', '--confg', 'x.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown flag --confg/);
  assert.match(r.stderr, /did you mean --config\?/);
});

test('an unknown command suggests the nearest one and exits 1', async () => {
  const r = await runRampart(['strat']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown command 'strat' \(did you mean 'start'\?\)/);
});

test('rampart check -c on a good file exits 0 and says what it will do', async () => {
  for (const file of [join(FIXTURES, 'good/minimal.yaml'), join(ROOT, 'rampart.example.yaml')]) {
    const r = await runRampart(['check', '-c', file]);
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    assert.match(r.stdout, /: valid \(origin http/);
  }
});

test('rampart check -c on a bad file exits 1 and prints every error with its path, line and hint', async () => {
  const file = join(FIXTURES, 'bad/many-errors.yaml');
  const r = await runRampart(['check', '-c', file]);
  assert.equal(r.code, 1);
  const expected = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => l.slice(10));
  assert.ok(expected.length >= 3, 'the fixture lists the errors it expects');
  for (const e of expected) assert.ok(r.stderr.includes(e), `missing "${e}" in:\n${r.stderr}`);
  assert.match(r.stderr, /\(line \d+\)/);
  assert.match(r.stderr, /hint: /);
  noStack(r.stderr);
});

test('rampart check without -c, or with a missing file, exits 1 with a hint', async () => {
  const none = await runRampart(['check']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /missing -c FILE/);
  const missing = await runRampart(['check', '-c', join(ROOT, 'no-such-file.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*no-such-file\.yaml: ENOENT/);
  noStack(missing.stderr);
});

test('rampart start on a port in use: one clear error, exit 1', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as AddressInfo).port;
  try {
    const r = await runRampart([
      'start',
      '--origin',
      'http://127.0.0.1:9',
      '--listen',
      `127.0.0.1:${port}`,
      '--admin',
      '127.0.0.1:0',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    assert.match(r.stderr, /hint: /);
    noStack(r.stderr);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
});

test('rampart start with neither -c nor --origin exits 1 with an example', async () => {
  const r = await runRampart(['start']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /give -c FILE or --origin URL/);
});
