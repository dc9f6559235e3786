// The size habit of src/ (DESIGN.md "Style"; issue "One picture of the
// processes"): no function over 100 lines and at most 10 over 60, a function's
// nested closures counted in its parent (a createX() returning an object of
// closures is one function). Biome's noExcessiveLinesPerFunction (biome.json)
// flags each function over 60 as a warning; this test holds the totals. Lines
// are the function's span, its signature and blank lines included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve(import.meta.dirname, '../src');
const MOST_OVER_60 = 10;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function isFunction(n: ts.Node): boolean {
  return (
    ts.isFunctionDeclaration(n) ||
    ts.isFunctionExpression(n) ||
    ts.isArrowFunction(n) ||
    ts.isMethodDeclaration(n) ||
    ts.isConstructorDeclaration(n) ||
    ts.isGetAccessorDeclaration(n) ||
    ts.isSetAccessorDeclaration(n)
  );
}

/** Every outermost function of a file (nested ones are part of it), as `file:line name` with its span in lines. */
function outermost(file: string, text = readFileSync(file, 'utf8')): { where: string; lines: number }[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { where: string; lines: number }[] = [];
  const visit = (n: ts.Node): void => {
    if (!isFunction(n)) return void ts.forEachChild(n, visit);
    const first = src.getLineAndCharacterOfPosition(n.getStart(src)).line;
    const last = src.getLineAndCharacterOfPosition(n.getEnd()).line;
    const named = (n as ts.FunctionLikeDeclaration).name?.getText(src);
    const name = named ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name.getText(src) : '(anonymous)');
    out.push({ where: `${relative(SRC, file)}:${first + 1} ${name}`, lines: last - first + 1 });
  };
  visit(src);
  return out;
}

test('src: no function over 100 lines, at most 10 over 60 (nested closures counted in their parent)', () => {
  const all = files(SRC).flatMap((f) => outermost(f));
  const over100 = all.filter((f) => f.lines > 100).map((f) => `${f.where} (${f.lines})`);
  const over60 = all.filter((f) => f.lines > 60).map((f) => `${f.where} (${f.lines})`);
  assert.deepEqual(over100, [], 'functions over 100 lines');
  assert.ok(over60.length <= MOST_OVER_60, `${over60.length} functions over 60 lines:\n${over60.join('\n')}`);
});

test('the measure counts a nested closure in its parent', () => {
  const body = Array.from({ length: 70 }, (_, i) => `    const v${i} = ${i};`).join('\n');
  const text = `export function createThing() {\n  return {\n    run() {\n${body}\n    },\n  };\n}\n`;
  const found = outermost(join(SRC, 'probe.ts'), text);
  assert.deepEqual(
    found,
    [{ where: 'probe.ts:1 createThing', lines: 76 }],
    'one function of 76 lines, its method inside it',
  );
});
