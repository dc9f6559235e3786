// Micro-benchmarks of the bounded sketches against the exact structures they
// replace, side by side: cost per update (mitata), error against exact counts,
// and bytes per tracked key (heap measured with --expose-gc).
// count-min (conservative) vs Map counter; space-saving top-k vs Map + sort;
// HyperLogLog vs Set for distinct sources.
// Run: node --expose-gc --import tsx bench/micro/sketches.bench.ts
import { bench, do_not_optimize, run, summary } from 'mitata';
import { CountMin } from '../../src/core/count-min.js';
import { SpaceSaving } from '../../src/core/space-saving.js';
import { HyperLogLog } from '../../src/core/hyperloglog.js';
import { mix32 } from '../../src/core/hash.js';
import { rng } from '../../src/detector/trace.js';

/** Zipf(1.1)-distributed uint32 keys, like request sources in a flood with a long tail. */
function zipf(n: number, keys: number, seed: number): Uint32Array {
  const r = rng(seed);
  const cum = new Float64Array(keys);
  let acc = 0;
  for (let i = 0; i < keys; i++) cum[i] = acc += 1 / (i + 1) ** 1.1;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r() * acc;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = mix32(lo + 1);
  }
  return out;
}

const N = 1_000_000;
const stream = zipf(N, 200_000, 7);
const exact = new Map<number, number>();
for (const k of stream) exact.set(k, (exact.get(k) ?? 0) + 1);

function heapOf(build: () => unknown): { bytes: number; keep: unknown } {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') return { bytes: NaN, keep: build() };
  gc();
  const before = process.memoryUsage().heapUsed;
  const keep = build();
  gc();
  return { bytes: process.memoryUsage().heapUsed - before + ((keep as { bytes?: number }).bytes ?? 0) * 0, keep };
}

// --- accuracy and memory, one run ---
const cm = new CountMin(2048, 4);
for (const k of stream) cm.add(k);
let cmErr = 0;
let cmWithin = 0;
for (const [k, c] of exact) {
  const e = cm.estimate(k) - c;
  cmErr += e;
  if (e <= (Math.E * N) / cm.width) cmWithin++;
}
const trueTop = [...exact.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 10)
  .map(([k]) => k);
/** Top-10 recall, and the worst over-count (count − exact) / exact among the true top 10 it reports. */
function spaceSaving(k: number): { ss: SpaceSaving; recall: number; worst: number } {
  const ss = new SpaceSaving(k);
  for (const x of stream) ss.offer(x);
  const top = ss.top(10).map((h) => h.key);
  let worst = 0;
  for (const h of ss.top(10))
    if (trueTop.includes(h.key)) worst = Math.max(worst, (h.count - exact.get(h.key)!) / exact.get(h.key)!);
  return { ss, recall: top.filter((x) => trueTop.includes(x)).length / 10, worst };
}
const ssRuns = [64, 256, 1024].map((k) => ({ k, ...spaceSaving(k) }));
const hll = new HyperLogLog(12);
for (const k of stream) hll.add(k);
const hllErr = Math.abs(hll.count() - exact.size) / exact.size;

const mapMem = heapOf(() => {
  const m = new Map<number, number>();
  for (const k of stream) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
});
const setMem = heapOf(() => new Set(stream));
console.log(`stream: ${N.toLocaleString()} updates over ${exact.size.toLocaleString()} distinct keys (Zipf 1.1)`);
console.log('structure                         bytes          per distinct key   error vs exact');
const row = (name: string, bytes: number, err: string) =>
  console.log(
    `${name.padEnd(33)} ${String(Math.round(bytes)).padStart(10)}   ${(bytes / exact.size).toFixed(2).padStart(12)} B      ${err}`,
  );
row('Map<number, number> (exact)', mapMem.bytes, '0');
row(
  'count-min 2048×4 conservative',
  cm.bytes,
  `mean over-count ${(cmErr / exact.size).toFixed(1)}; ${((cmWithin / exact.size) * 100).toFixed(1)}% within e·N/w = ${Math.round((Math.E * N) / cm.width)}`,
);
for (const r of ssRuns)
  row(
    `space-saving k=${r.k} (top-k only)`,
    r.ss.bytes,
    `top-10 recall ${(r.recall * 100).toFixed(0)}%, worst over-count in the top 10 ${(r.worst * 100).toFixed(1)}%`,
  );
row('Set<number> (exact distinct)', setMem.bytes, '0');
row('HyperLogLog p=12', hll.bytes, `${(hllErr * 100).toFixed(2)}% (expected ±1.6%)`);
void mapMem.keep;
void setMem.keep;

// --- cost per update ---
let i = 0;
const next = () => stream[i++ % N];
const m2 = new Map<number, number>();
const cm2 = new CountMin(2048, 4);
const ss2 = new SpaceSaving(64);
const hll2 = new HyperLogLog(12);
const set2 = new Set<number>();
summary(() => {
  bench('count: Map get/set (exact, unbounded)', () => {
    const k = next();
    m2.set(k, (m2.get(k) ?? 0) + 1);
  });
  bench('count: count-min add (conservative, 32 KiB)', () => cm2.add(next()));
});
summary(() => {
  bench('heavy hitters: space-saving offer (k=64)', () => ss2.offer(next()));
  bench('heavy hitters: Map counter (then sort at tick)', () => {
    const k = next();
    m2.set(k, (m2.get(k) ?? 0) + 1);
  });
});
summary(() => {
  bench('distinct: HyperLogLog add (4 KiB)', () => hll2.add(next()));
  bench('distinct: Set add (exact, unbounded)', () => set2.add(next()));
});
bench('tick: space-saving top(20) + HLL count', () => do_not_optimize([ss2.top(20), hll2.count()]));
await run();
