// Micro-benchmarks of policy (mitata): the whole per-request decision
// (target ≤ 2 µs) and the stage, then token-bucket tables side by side (GCRA
// on the typed-array LRU vs a classic bucket in an uncapped Map vs a Map-based
// LRU), then memory: bytes per tracked key for each, and the RSS of one
// process after 1,000,000 distinct sources went through decide() (≤ 300 MB).
// Memory runs each in a fresh child process so RSS is not polluted.
// Run: node --expose-gc --import tsx bench/micro/policy.bench.ts
import { spawnSync } from 'node:child_process';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { camelize } from '../../src/config/camelize.js';
import { policySchema } from '../../src/config/schema/policy.js';
import { RequestContext, type Mitigation, type Req, type Res } from '../../src/core/model.js';
import { createTokenBuckets } from '../../src/core/token-bucket.js';
import { formatIPv4 } from '../../src/core/ip.js';
import { compilePolicy } from '../../src/policy/decide.js';
import { createPolicyStage } from '../../src/policy/stage.js';
import { createMemoryState } from '../../src/state/index.js';

const NOW = 1_900_000_000_000;
const N = 1_000_000;

/** A classic token bucket: tokens + last refill, one object per key in a Map that grows. */
function classicMap() {
  const m = new Map<number, { tokens: number; last: number }>();
  return {
    size: () => m.size,
    take(key: number, now: number, rate: number, burst: number): number {
      let b = m.get(key);
      if (b === undefined) m.set(key, (b = { tokens: burst, last: now }));
      b.tokens = Math.min(burst, b.tokens + ((now - b.last) * rate) / 1000);
      b.last = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return ((1 - b.tokens) * 1000) / rate;
    },
  };
}

/** The same bucket in a Map capped by construction: insertion order as recency (delete + set). */
function mapLru(capacity: number) {
  const m = new Map<number, { tokens: number; last: number }>();
  return {
    size: () => m.size,
    take(key: number, now: number, rate: number, burst: number): number {
      let b = m.get(key);
      if (b !== undefined) m.delete(key);
      else {
        if (m.size >= capacity) m.delete(m.keys().next().value as number);
        b = { tokens: burst, last: now };
      }
      m.set(key, b);
      b.tokens = Math.min(burst, b.tokens + ((now - b.last) * rate) / 1000);
      b.last = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return ((1 - b.tokens) * 1000) / rate;
    },
  };
}

function context(ip: number, path: string): RequestContext {
  const req = { method: 'GET', url: path, headers: {} } as unknown as Req;
  const ctx = new RequestContext(req, {} as Res);
  ctx.method = 'GET';
  ctx.path = path;
  ctx.clientIp = formatIPv4(ip);
  ctx.clientKey = ip;
  ctx.prefixKey = (ip & 0xffffff00) >>> 0;
  ctx.fingerprint = 0x1234abcd;
  return ctx;
}

function realisticState() {
  const state = createMemoryState({ now: () => NOW, sweepInterval: 3_600_000 });
  for (let i = 0; i < 10_000; i++)
    state.addBan({
      target: formatIPv4((0xc6330000 + i) >>> 0),
      rule: 'ban/auto-flood',
      createdAt: NOW,
      until: NOW + 3_600_000,
      reason: 'bench',
      source: 'auto',
    });
  for (let i = 0; i < 20; i++)
    state.addBan({
      target: `10.${i}.0.0/16`,
      rule: 'ban/manual',
      createdAt: NOW,
      until: NOW + 3_600_000,
      reason: 'bench',
      source: 'manual',
    });
  for (let i = 0; i < 8; i++) {
    const m: Mitigation = {
      id: `m${i}`,
      action: i % 2 ? 'limit' : 'challenge',
      rule: 'mitigate/limit-signature',
      rate: 5,
      createdAt: NOW,
      until: NOW + 3_600_000,
      reason: 'bench',
      figures: {},
      match: {
        prefixKeys: [0x0b000000 + i * 256],
        fingerprints: [7 + i],
        routeClasses: ['login'],
        paths: [],
        unverifiedOnly: i % 2 === 0,
      },
    };
    state.putMitigation(m);
  }
  return state;
}

async function timing(): Promise<void> {
  const state = realisticState();
  const config = camelize(policySchema.parse({ deny: ['203.0.113.0/24', '2001:db8::/32'], allow: ['192.0.2.1'] }));
  const policy = compilePolicy(config);
  const bare = compilePolicy(camelize(policySchema.parse({})));
  const noState = createMemoryState({ now: () => NOW, sweepInterval: 3_600_000 });
  // 4096 clients cycling: buckets stay warm, nobody is refused (default limits).
  const ctxs = Array.from({ length: 4096 }, (_, i) =>
    context((0x64400000 + i * 97) >>> 0, i % 4 ? '/news/story' : '/static/app.css'),
  );
  let i = 0;
  let t = NOW;
  // Time moves 10 µs per request, so the 4096 clients stay under their limits (the allow path).
  const stage = createPolicyStage(policy, state, () => (t += 0.01));
  const next = () => ctxs[i++ & 4095];
  const buckets = createTokenBuckets({ capacity: N, rate: 30, burst: 300 });
  const classic = classicMap();
  const capped = mapLru(N);
  let k = 0;
  summary(() => {
    bench('decide: default config, no bans/mitigations (allow path)', () =>
      do_not_optimize(bare.decide(next(), noState, (t += 0.01))),
    );
    bench('decide: 10k bans + 20 CIDR bans, 8 mitigations, deny list (allow path)', () =>
      do_not_optimize(policy.decide(next(), state, (t += 0.01))),
    );
    bench('stage.run: same, with enforcement check', () => do_not_optimize(stage.run(next())));
  });
  summary(() => {
    bench('bucket take: GCRA on typed-array LRU (ours), 64k live keys', () =>
      do_not_optimize(buckets.takeWith((k++ & 65535) * 2654435761, (t += 0.01), 1, 30, 300)),
    );
    bench('bucket take: classic {tokens,last} in an uncapped Map', () =>
      do_not_optimize(classic.take((k++ & 65535) * 2654435761, (t += 0.01), 30, 300)),
    );
    bench('bucket take: classic in a Map-LRU (delete+set)', () =>
      do_not_optimize(capped.take((k++ & 65535) * 2654435761, (t += 0.01), 30, 300)),
    );
  });
  await run();
  // Best of 7 runs of 200k calls: on a shared, noisy machine the best run is
  // the closest to the code's own cost (hono benchmarks/fetch/compare.sh).
  const best = (fn: () => unknown): number => {
    let b = Infinity;
    for (let r = 0; r < 7; r++) {
      const t0 = process.hrtime.bigint();
      for (let j = 0; j < 200_000; j++) fn();
      b = Math.min(b, Number(process.hrtime.bigint() - t0) / 200_000);
    }
    return b;
  };
  const d0 = best(() => bare.decide(next(), noState, (t += 0.01)));
  const d1 = best(() => policy.decide(next(), state, (t += 0.01)));
  const s1 = best(() => stage.run(next()));
  const refusals = JSON.stringify(stage.stats().refused);
  console.log(`\nrefusals during the stage runs (expect none): ${refusals}`);
  console.log(
    `best of 7 × 200k: decide (defaults) ${d0.toFixed(0)} ns, decide (10k bans, 8 mitigations, lists) ${d1.toFixed(0)} ns, stage.run ${s1.toFixed(0)} ns per request (target ≤ 2000 ns)`,
  );
}

/** One child run: fill a structure with N distinct keys, print bytes per key (RSS and heap+external deltas). */
function memoryChild(kind: string): void {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  gc();
  const m0 = process.memoryUsage();
  let keep: unknown;
  if (kind === 'gcra') {
    const b = createTokenBuckets({ capacity: N, rate: 30, burst: 300 });
    for (let i = 0; i < N; i++) b.take((0x01000000 + i * 257) >>> 0, NOW);
    keep = b;
  } else if (kind === 'map') {
    const b = classicMap();
    for (let i = 0; i < N; i++) b.take((0x01000000 + i * 257) >>> 0, NOW, 30, 300);
    keep = b;
  } else if (kind === 'map-lru') {
    const b = mapLru(N);
    for (let i = 0; i < N; i++) b.take((0x01000000 + i * 257) >>> 0, NOW, 30, 300);
    keep = b;
  } else if (kind === 'decide') {
    // 1,000,000 distinct sources (random-looking IPv4 over ~1M /24s), one request each, through
    // the default policy with the real memory state holding 10k bans and 8 mitigations.
    const state = realisticState();
    const p = compilePolicy(camelize(policySchema.parse({})));
    const ctx = context(0, '/');
    let refused = 0;
    for (let i = 0; i < N; i++) {
      const ip = (Math.imul(i + 1, 0x9e3779b1) >>> 0) | 0x01000000;
      ctx.clientIp = formatIPv4(ip >>> 0);
      ctx.clientKey = ip >>> 0;
      ctx.prefixKey = (ip & 0xffffff00) >>> 0;
      ctx.path = i % 3 ? '/' : '/static/a.css';
      if (p.decide(ctx, state, NOW + i / 100) !== null) refused++;
    }
    keep = { p, state, refused, stats: p.limitStats() };
  }
  gc();
  const m1 = process.memoryUsage();
  const heap = m1.heapUsed + m1.external - (m0.heapUsed + m0.external);
  console.log(
    JSON.stringify({
      kind,
      rssMB: m1.rss / 2 ** 20,
      perKeyRss: (m1.rss - m0.rss) / N,
      perKeyHeapExt: heap / N,
      extra: kind === 'decide' ? keep : undefined,
    }),
  );
}

if (process.argv[2] === '--child') memoryChild(process.argv[3]);
else {
  await timing();
  console.log('\nMemory, each in a fresh process with 1,000,000 distinct keys:');
  for (const kind of ['gcra', 'map', 'map-lru', 'decide']) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', kind], {
      encoding: 'utf8',
    });
    const line = r.stdout.trim().split('\n').at(-1) ?? '';
    try {
      const j = JSON.parse(line);
      if (kind === 'decide')
        console.log(
          `  decide() over 1,000,000 distinct sources: process RSS ${j.rssMB.toFixed(0)} MB (target ≤ 300 MB); tracked ${JSON.stringify(j.extra.stats.tracked)}, evictions ${j.extra.stats.evictions}, refused ${j.extra.refused}`,
        );
      else
        console.log(
          `  ${kind.padEnd(8)} ${j.perKeyRss.toFixed(1).padStart(6)} B/key RSS, ${j.perKeyHeapExt.toFixed(1).padStart(6)} B/key heap+external`,
        );
    } catch {
      console.log(`  ${kind}: failed: ${r.stderr.slice(0, 400)}`);
    }
  }
}
