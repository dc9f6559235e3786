// Habits of the test tree that review alone does not keep. Integration tests
// wait for conditions (test/helpers/wait.ts), never a fixed second or more for
// the app's tick: a sleep is slow when the machine is idle and flaky when it is
// busy. A wait that is about elapsed time the code defines (a ban's TTL, a
// deadline that must NOT fire) carries `fixed-wait-ok: <why>` on its line or
// the line above. Not a linter: literal numbers and same-file constants only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const TEST = resolve(import.meta.dirname);
const SCANNED = ['integration', 'regression', 'helpers'].map((d) => join(TEST, d));
const LONGEST_MS = 999;
const MARKER = 'fixed-wait-ok:';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** `const NAME = 3_500;` in the file: a fixed wait may hide behind a name. */
function constants(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/\bconst\s+([A-Za-z_]\w*)\s*(?::\s*number\s*)?=\s*(\d[\d_]*)\s*;/g))
    out.set(m[1], Number(m[2].replaceAll('_', '')));
  return out;
}

/** Functions of the file that only sleep: `const nap = (ms) => new Promise((r) => setTimeout(r, ms))`. */
function sleepers(text: string): string[] {
  const defined = text.matchAll(
    /\b(?:const|function)\s+(\w+)\s*=?\s*(?:async\s*)?\(\s*(\w+)[^)]*\)[^{=]*(?:=>|\{\s*return)\s*new Promise(?:<[^>]*>)?\(\s*\(?\s*(\w+)\s*\)?\s*=>\s*setTimeout\(\s*\3\s*,\s*\2\s*\)/g,
  );
  return ['sleep', 'delay', 'pause', ...[...defined].map((m) => m[1])];
}

/** Each call that waits a fixed time: setTimeout(resolve, N), timers/promises' setTimeout(N), or a sleeper(N). */
function fixedWaits(text: string): { line: number; ms: number; code: string }[] {
  const consts = constants(text);
  const value = (arg: string) => (/^\d[\d_]*$/.test(arg) ? Number(arg.replaceAll('_', '')) : consts.get(arg));
  const names = sleepers(text).join('|');
  const calls = new RegExp(
    `(?<![.\\w])setTimeout\\(\\s*(?:\\w+|\\(\\)\\s*=>\\s*\\w+\\(\\))\\s*,\\s*(\\w+)\\s*\\)|(?<![.\\w])setTimeout\\(\\s*(\\d[\\d_]*)\\s*[,)]|(?<![.\\w])(?:${names})\\(\\s*(\\w+)\\s*\\)`,
    'g',
  );
  const lines = text.split('\n');
  const out: { line: number; ms: number; code: string }[] = [];
  for (const m of text.matchAll(calls)) {
    const ms = value(m[1] ?? m[2] ?? m[3]);
    if (ms === undefined || ms <= LONGEST_MS) continue;
    const line = text.slice(0, m.index).split('\n').length;
    const allowed = lines[line - 1].includes(MARKER) || (lines[line - 2] ?? '').includes(MARKER);
    if (!allowed) out.push({ line, ms, code: lines[line - 1].trim() });
  }
  return out;
}

test('the habits scan sees the fixed waits it is meant to refuse', () => {
  const bad = [
    'await new Promise((r) => setTimeout(r, 1500));',
    'await sleep(2_000);',
    "import { setTimeout as wait } from 'node:timers/promises'; await setTimeout(3000);",
    'const SETTLE_MS = 4000;\nconst nap = (ms: number) => new Promise((res) => setTimeout(res, ms));\nawait nap(SETTLE_MS);',
  ];
  for (const text of bad) assert.equal(fixedWaits(text).length, 1, text);
  const fine = [
    'await new Promise((r) => setTimeout(r, 50));',
    'const t = setTimeout(() => reject(new Error("late")), 5000);', // a bound that ends early, not a wait
    'await new Promise((r) => setTimeout(r, 1000 / RATE));', // pacing a sender
    'await sleep(3500); // fixed-wait-ok: outlives the 3 s ban',
    'req.setTimeout(4000, () => req.close());', // a socket timeout, not a wait
  ];
  for (const text of fine) assert.deepEqual(fixedWaits(text), [], text);
});

test('integration and regression tests wait for conditions, not for a second or more of wall clock', () => {
  const found = SCANNED.flatMap(files).flatMap((f) =>
    fixedWaits(readFileSync(f, 'utf8')).map((w) => `${relative(TEST, f)}:${w.line} waits ${w.ms} ms: ${w.code}`),
  );
  assert.deepEqual(
    found,
    [],
    `wait for the condition instead (test/helpers/wait.ts: waitFor, waitForTicks), or mark a wait on elapsed time the code defines with "${MARKER} <why>"`,
  );
});
