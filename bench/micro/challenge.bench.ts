// Micro-benchmarks of the challenge stage (mitata): pass verification (target
// ≤ 2 µs), challenge issue with page render (target ≤ 20 µs), solution check;
// then the price of a pass: expected SHA-256 attempts per default difficulty
// and this machine's hash rates (node:crypto, and the browser's pure JS in V8).
// With --browser: real Chromium solves through the full app at each mode's
// default difficulty (page load + Workers + verify + redirect), N runs each.
// Run: node --expose-gc --import tsx bench/micro/challenge.bench.ts [--browser]
import { hash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { camelize } from '../../src/config/camelize.js';
import { challengeSchema } from '../../src/config/schema/challenge.js';
import { RequestContext, type Req, type Res } from '../../src/core/model.js';
import { judge } from '../../src/challenge/judge.js';
import { createMacRing } from '../../src/core/mac.js';
import { createNoncePool } from '../../src/challenge/nonce-pool.js';
import { createNonceStore } from '../../src/challenge/nonce-store.js';
import { cookieValue, createPasses } from '../../src/challenge/pass.js';
import { solve } from '../../src/challenge/pow.js';
import { compileChallenge } from '../../src/challenge/stage.js';
import { createTokens } from '../../src/challenge/token.js';
import { clientTagOf } from '../../src/core/client-tag.js';

const NOW = 1_900_000_000_000;
const UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
const keys = [randomBytes(32), randomBytes(32)];
const config = camelize(challengeSchema.parse({}));
const challenge = compileChallenge(config, { now: () => NOW, keys: () => keys, mode: () => 'under_attack' });
const ring = createMacRing(() => keys);
const passes = createPasses(ring, 3600);
const tokens = createTokens(ring, createNoncePool());

/** A reusable context whose response discards what is written. */
function context(headers: Record<string, string>, target = '/news/story?id=7'): RequestContext {
  const req = {
    method: 'GET',
    url: target,
    headers: { 'user-agent': UA, 'accept-language': 'en-GB,en;q=0.9', ...headers },
  } as unknown as Req;
  const res = { writeHead() {}, end() {}, shouldKeepAlive: true } as unknown as Res;
  const ctx = new RequestContext(req, res);
  Object.assign(ctx, {
    method: 'GET',
    target,
    path: target.split('?')[0],
    prefixKey: 0xcb007100,
    challengeRequired: true,
  });
  return ctx;
}

const tag = clientTagOf(context({}).req);
const pass = passes.issue(0xcb007100, tag, NOW / 1000 + 3600);
const oldPass = createPasses(
  createMacRing(() => [keys[1]]),
  3600,
).issue(0xcb007100, tag, NOW / 1000 + 3600);
const cookieHeader = `_ga=GA1.2.12345.67890; theme=dark; rampart_pass=${pass}; consent=yes`;
const withPass = context({ cookie: cookieHeader });
const without = context({});
// Normal mode, nothing asks for a challenge, no cookie: the cost every ordinary request pays.
const idle = compileChallenge(config, { now: () => NOW, keys: () => keys, mode: () => 'normal' });
const plain = context({});
plain.challengeRequired = false;

// Pre-solved submissions (8 bits) so the check is measured, not the search.
const store = createNonceStore(1 << 20);
const subs = Array.from({ length: 2000 }, () => {
  const t = tokens.issue(0xcb007100, tag, 8, 0, NOW, 300_000);
  return {
    token: t.token,
    counter: String(solve(t.seed, 8)),
    prefixKey: 0xcb007100,
    tag,
    now: NOW + 1000,
    minWaitMs: 0,
  };
});
let si = 0;

summary(() => {
  bench('pass verify: find cookie + HMAC check', () =>
    do_not_optimize(passes.verify(cookieValue(cookieHeader, 'rampart_pass'), 0xcb007100, tag, NOW / 1000)),
  );
  bench('pass verify: signed by the previous key (2 HMACs)', () =>
    do_not_optimize(passes.verify(oldPass, 0xcb007100, tag, NOW / 1000)),
  );
  bench('stage.run: request with a valid pass (UA tag + verify)', () => do_not_optimize(challenge.stage.run(withPass)));
  bench('stage.run: no cookie, nothing required (normal mode)', () => do_not_optimize(idle.stage.run(plain)));
});
summary(() => {
  bench('issue: token only (nonce pool + HMAC)', () =>
    do_not_optimize(tokens.issue(0xcb007100, tag, 20, 0, NOW, 300_000)),
  );
  bench('issue: stage.run GET → interstitial rendered and written', () =>
    do_not_optimize(challenge.stage.run(without)),
  );
});
bench('verify solution: open token + SHA-256 + single-use claim', () =>
  do_not_optimize(judge(tokens, store, subs[si++ % subs.length])),
);

await run();

/** Calls per second of fn, each call doing `per` hashes. */
function ratePerSecond(fn: (i: number) => void, per = 1): number {
  let n = 0;
  const end = performance.now() + 1000;
  while (performance.now() < end) for (let k = 0; k < 1000 / per; k++) fn(n++);
  return n * per;
}

const seed = 'AAAAAAAAAAAAAAAA';
const nodeRate = ratePerSecond((i) => hash('sha256', seed + i, 'buffer'));
const dir = join(import.meta.dirname, '../../src/challenge/assets');
// Wrapped in a function as the served bundle is: globals of a vm context are slow to reach.
const source = `${readFileSync(join(dir, 'sha256.js'), 'utf8')}\n${readFileSync(join(dir, 'search.js'), 'utf8')}`;
const browser = runInNewContext(`(function(){${source}\nreturn { rampartJsState, rampartStepJs };})()`, {}) as {
  rampartJsState(s: string, b: number, start: number, step: number): unknown;
  rampartStepJs(st: unknown, n: number): number;
};
const st = browser.rampartJsState(seed, 64, 0, 1);
const jsRate = ratePerSecond(() => browser.rampartStepJs(st, 100), 100);

console.log(
  `\nSHA-256 rate on this machine: node:crypto hash() ${(nodeRate / 1e6).toFixed(2)} M/s, the page's pure JS in V8 ${(jsRate / 1e6).toFixed(2)} M/s (one core)`,
);
console.log('mode          bits  expected attempts  bot CPU per pass (node:crypto, 1 core)  browser (pure JS, 1 core)');
for (const [mode, bits] of Object.entries(config.difficulty)) {
  const n = 2 ** bits;
  console.log(
    `${mode.padEnd(13)} ${String(bits).padStart(4)}  ${String(n).padStart(17)}  ${(n / nodeRate).toFixed(3).padStart(10)} s${' '.repeat(28)}${(n / jsRate).toFixed(3)} s`,
  );
}

if (typeof globalThis.gc === 'function') {
  const s = createNonceStore(65_536);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 65_536; i++) s.claim(i * 7919 + 1e12, NOW + 300_000, NOW);
  globalThis.gc();
  const per = (process.memoryUsage().heapUsed - before) / s.size; // s is still live here
  console.log(
    `nonce store: ${per.toFixed(0)} B per entry → ${((per * 65_536) / 2 ** 20).toFixed(1)} MiB at the 65,536-entry ceiling`,
  );
}

if (process.argv.includes('--browser')) await browserSolveTimes(Number(process.env.RUNS ?? 8));

/** Median and p90 wall time for Chromium to get from a challenged URL to the origin's page, per mode. */
async function browserSolveTimes(runs: number): Promise<void> {
  const { chromium } = await import('playwright-core');
  const { startDemoOrigin } = await import('../../src/demo/origin.js');
  const { CHROMIUM_ARGS } = await import('../../src/drill/chromium-users.js');
  const { startShield } = await import('../../test/helpers/shield.js');
  const origin = await startDemoOrigin();
  const shield = await startShield(origin.url, { challenge: { require: 'always' } });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS],
  });
  try {
    const cores = await (await browser.newPage()).evaluate(() => navigator.hardwareConcurrency);
    console.log(
      `\nChromium (navigator.hardwareConcurrency = ${cores}, the page runs min(4, that) Workers), ${runs} runs per mode, through the full app:`,
    );
    for (const mode of ['elevated', 'normal', 'under_attack'] as const) {
      shield.state.overrideMode(mode);
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        const t0 = performance.now();
        const first = await page.goto(`http://127.0.0.1:${shield.port}/materials?run=${i}`);
        await page.waitForSelector('h1:has-text("Campaign materials")', { timeout: 120_000 });
        ms.push(performance.now() - t0);
        if (first?.status() !== 403) throw new Error(`expected the interstitial first, got ${first?.status()}`);
        await context.close();
      }
      ms.sort((x, y) => x - y);
      const bits =
        mode === 'elevated'
          ? config.difficulty.elevated
          : mode === 'normal'
            ? config.difficulty.manual
            : config.difficulty.underAttack;
      console.log(
        `${(mode === 'normal' ? 'manual' : mode).padEnd(13)} ${bits} bits: median ${ms[ms.length >> 1].toFixed(0)} ms, p90 ${ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.9))].toFixed(0)} ms, min ${ms[0].toFixed(0)} ms, max ${ms[ms.length - 1].toFixed(0)} ms`,
      );
    }
    shield.state.overrideMode(null);
  } finally {
    await browser.close();
    await shield.stop();
    await origin.close();
  }
}
