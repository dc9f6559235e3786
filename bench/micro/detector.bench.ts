// Micro-benchmarks of the detector: observe() per request (target: a small
// share of the ≤ 2 µs per-request budget) on realistic traffic and on a
// flood from ever-new sources, tick() once a second, and the memory held
// after 1,000,000 distinct sources (bounded by construction: it must not grow).
// Run: node --expose-gc --import tsx bench/micro/detector.bench.ts
import { bench, do_not_optimize, run, summary } from 'mitata';
import { camelize } from '../../src/config/camelize.js';
import { detectorSchema } from '../../src/config/schema/detector.js';
import { createDetector } from '../../src/detector/detector.js';
import { BOT, fact, legitSecond, rng } from '../../src/detector/trace.js';
import { SeenSources } from '../../src/detector/seen-sources.js';
import { SecondWindow } from '../../src/detector/window.js';
import { exportPart, mergePart } from '../../src/detector/window-part.js';

const cfg = camelize(detectorSchema.parse({ warmup: '10s' }));
const T0 = Date.UTC(2026, 0, 5, 12);
const r = rng(1);
const legit = legitSecond(r, 4000); // ~10k requests of ordinary browsing
const flood = Array.from({ length: 10_000 }, (_, i) =>
  fact(0xac100000 + i * 13, `/news/${i % 3}`, { fp: BOT.fp, ua: BOT.ua }),
);

function warmDetector() {
  const d = createDetector(cfg);
  for (let s = 0; s < 30; s++) {
    for (const o of legitSecond(r, 25)) d.observe(o);
    d.tick(T0 + (s + 1) * 1000);
  }
  return d;
}

const d = warmDetector();
let i = 0;
let j = 0;
// A fresh source every request: the attacker's best case against per-key maps.
let src = 0x0b000000;
const fresh = fact(src, '/', { fp: BOT.fp, ua: BOT.ua });
summary(() => {
  bench('observe: ordinary browsing (pages, assets, queries)', () => d.observe(legit[i++ % legit.length]));
  bench('observe: botnet flood, 10k sources', () => d.observe(flood[j++ % flood.length]));
  bench('observe: a new source on every request', () => {
    fresh.clientKey = ++src >>> 0;
    fresh.prefixKey = (src & 0xffffff00) >>> 0;
    d.observe(fresh);
  });
});

// tick() on a second that holds a flood (the expensive case: scoring, signature, incident, events).
const dt = warmDetector();
let t = T0 + 31_000;
bench('tick: close a second of 2,000 flood requests + score + mitigate', () => {
  for (let k = 0; k < 2000; k++) dt.observe(flood[k]);
  dt.tick((t += 1000));
});
bench('snapshot() (dashboard feed)', () => do_not_optimize(dt.snapshot()));

// Cluster mode: a worker's closed second of 2,000 flood requests exported as a part, and the
// primary folding it in (once per worker per second), against the tick it feeds.
const worker = new SecondWindow(new SeenSources());
const into = new SecondWindow(new SeenSources());
for (let k = 0; k < 2000; k++) worker.observe(flood[k]);
const part = exportPart(worker)!;
bench("cluster: exportPart (a worker's second of 2,000 flood requests)", () => do_not_optimize(exportPart(worker)));
bench("cluster: mergePart into the primary's open second", () => {
  mergePart(into, part);
  into.clear();
});
bench('cluster: structuredClone of the part (the IPC copy)', () => do_not_optimize(structuredClone(part)));
await run();
const bytes =
  part.n.byteLength +
  part.classes.byteLength +
  part.families.byteLength +
  part.hist.byteLength +
  part.sources.byteLength +
  part.queries.byteLength +
  part.paths.byteLength +
  (part.pend ?? []).reduce((a, p) => a + p.cells.byteLength, 0) +
  part.tops.reduce(
    (a, t) => a + t.keys.byteLength + t.counts.byteLength + t.labels.reduce((b, l) => b + l.length, 0),
    0,
  );
console.log(`window part of a 2,000-request second: ${(bytes / 1024).toFixed(1)} KiB`);

const gc = globalThis.gc;
if (typeof gc === 'function') {
  const dm = warmDetector();
  gc();
  const before = process.memoryUsage();
  const o = fact(0, '/', { fp: BOT.fp, ua: BOT.ua });
  for (let k = 0; k < 1_000_000; k++) {
    o.clientKey = (0x30000000 + k * 7) >>> 0;
    o.prefixKey = (o.clientKey & 0xffffff00) >>> 0;
    dm.observe(o);
    if (k % 10_000 === 9_999) dm.tick((t += 1000));
  }
  gc();
  const after = process.memoryUsage();
  const mb = (x: number) => (x / 2 ** 20).toFixed(2);
  console.log(
    `\n1,000,000 distinct sources through one detector (100 s at 10k/s): heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MiB, array buffers ${mb(before.arrayBuffers)} → ${mb(after.arrayBuffers)} MiB, RSS ${mb(after.rss)} MiB; mode ${dm.mode()}`,
  );
}
