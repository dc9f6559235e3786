// The browser's pure-JS SHA-256 and search (assets/*.js) run here in a vm,
// from the same source the browser gets, against node:crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { sha256Source } from './assets.js';
import { checkSolution } from './pow.js';

type Sha = (msg: Uint8Array, len: number, out: Uint8Array) => Uint8Array;
interface Browser {
  rampartSha256: Sha;
  rampartJsState(seed: string, bits: number, start: number, step: number): unknown;
  rampartStepJs(state: unknown, budget: number): number;
  rampartHasSubtle(g: object): boolean;
  rampartStepSubtle(g: object, state: unknown, size: number): Promise<number>;
  rampartSolve(
    g: object,
    seed: string,
    bits: number,
    start: number,
    step: number,
    report: (n: number) => void,
    yieldEvery: boolean,
  ): Promise<{ counter: number; via: string }>;
}

function load(): Browser {
  const search = readFileSync(join(import.meta.dirname, 'assets', 'search.js'), 'utf8');
  const code = `${sha256Source()}\n${search}\n({ rampartSha256, rampartJsState, rampartStepJs, rampartHasSubtle, rampartStepSubtle, rampartSolve })`;
  return runInNewContext(code, { TextEncoder, Promise, setTimeout }) as Browser;
}

test('pure-JS SHA-256 matches node:crypto on a table of inputs', () => {
  const { rampartSha256 } = load();
  const enc = new TextEncoder();
  const inputs: Uint8Array[] = [
    ...[
      '',
      'abc',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmjklmnklmnlmnomnopnopq',
      'Ünïcødé ✓ 🛡',
      'AAAAAAAAAAAAAAAA123456789',
    ].map((s) => enc.encode(s)),
    ...[1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4096].map((n) =>
      Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 255),
    ),
  ];
  const out = new Uint8Array(32);
  for (const m of inputs) {
    const want = createHash('sha256').update(m).digest('hex');
    assert.equal(Buffer.from(rampartSha256(m, m.length, out)).toString('hex'), want, `length ${m.length}`);
  }
  // A prefix of a longer buffer: the solver hashes buf[0..len) of a reused 64-byte buffer.
  const big = enc.encode('seedseedseedseed1234567890');
  assert.equal(
    Buffer.from(rampartSha256(big, 16, out)).toString('hex'),
    createHash('sha256').update(big.subarray(0, 16)).digest('hex'),
  );
});

test("the browser's search finds counters the server accepts, in its share of the counters", () => {
  const b = load();
  for (const [seed, start, step] of [
    ['AAAAAAAAAAAAAAAA', 0, 1],
    ['q-_Zx09aBcDeFgHi', 2, 3],
  ] as const) {
    const state = b.rampartJsState(seed, 10, start, step);
    let counter = -1;
    while (counter < 0) counter = b.rampartStepJs(state, 5000);
    assert.equal(counter % step, start);
    assert.ok(checkSolution(seed, String(counter), 10), `${seed}:${counter}`);
  }
});

test('the crypto.subtle path (Node webcrypto standing in) and the JS path both solve', async () => {
  const b = load();
  const secure = { isSecureContext: true, crypto: globalThis.crypto, performance };
  for (const g of [secure, { isSecureContext: false }]) {
    const r = await b.rampartSolve(g, 'Zm9vYmFyYmF6cXV4', 12, 1, 2, () => {}, false);
    assert.ok(checkSolution('Zm9vYmFyYmF6cXV4', String(r.counter), 12), JSON.stringify(r));
    assert.equal(r.counter % 2, 1);
    if (!g.isSecureContext) assert.equal(r.via, 'js');
  }
  // In Node the JS path usually wins the timing, so drive a subtle batch directly too.
  const st = Object.assign(b.rampartJsState('Zm9vYmFyYmF6cXV4', 6, 0, 1) as object, { seed: 'Zm9vYmFyYmF6cXV4' });
  let c = -1;
  while (c < 0) c = await b.rampartStepSubtle(secure, st, 64);
  assert.ok(checkSolution('Zm9vYmFyYmF6cXV4', String(c), 6));
});

test('crypto.subtle is used only in a secure context', () => {
  const b = load();
  const subtle = { digest() {} };
  assert.equal(b.rampartHasSubtle({ isSecureContext: false, crypto: {} }), false);
  assert.equal(b.rampartHasSubtle({ isSecureContext: true, crypto: { subtle } }), true);
});
