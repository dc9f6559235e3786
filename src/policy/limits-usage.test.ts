// Usage sharing between workers: the recorder (bounded, exact for heavy keys,
// drained once), a list's validation and its debit into another table, then
// N simulated workers (real compiled limits, manual clock, a tick a second)
// holding a client spread over them to about one bucket instead of N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { policySchema } from '../config/schema/policy.js';
import type { RequestContext } from '../core/model.js';
import { createTokenBuckets } from '../core/token-bucket.js';
import { compileLimits, mixKey } from './limits.js';
import { applyUsage, createUsageRecorder, isUsageList } from './limits-usage.js';

test('recorder: sums per key, keeps the rule, drains once into copies', () => {
  const r = createUsageRecorder(8);
  r.note(0xfffffff0, 1, 30, 300);
  r.note(5, 2, 1, 10);
  r.note(0xfffffff0, 37.5, 30, 300);
  assert.equal(r.size(), 2);
  const l = r.drain()!;
  assert.deepEqual([...l.keys], [0xfffffff0 | 0, 5]);
  assert.deepEqual([...l.cost], [38.5, 2]);
  assert.deepEqual([...l.rate], [30, 1]);
  assert.deepEqual([...l.burst], [300, 10]);
  assert.equal(r.size(), 0);
  assert.equal(r.drain(), null, 'nothing since the drain');
  r.note(5, 1, 1, 10);
  assert.deepEqual([...r.drain()!.cost], [1], 'a drained key starts again from zero');
  assert.equal(l.cost[1], 2, 'the drained list is a copy');
});

test('recorder: bounded; once full new keys are dropped (counted), known keys still add up', () => {
  const r = createUsageRecorder(4);
  for (let k = 1; k <= 10; k++) r.note(k, 1, 1, 10);
  r.note(2, 5, 1, 10);
  assert.equal(r.size(), 4);
  assert.equal(r.dropped(), 6);
  const l = r.drain()!;
  assert.deepEqual([...l.keys], [1, 2, 3, 4]);
  assert.deepEqual([...l.cost], [1, 6, 1, 1]);
  for (let k = 11; k <= 14; k++) r.note(k, 1, 1, 10);
  assert.equal(r.size(), 4, 'room again after the drain');
  assert.throws(() => createUsageRecorder(0), /capacity/);
});

test('recorder on a table: a flooding key is recorded take by take past half its burst, people only as samples', () => {
  const table = createTokenBuckets({ capacity: 1 << 16, rate: 1, burst: 1 });
  const r = createUsageRecorder(64);
  table.watch(r);
  for (let i = 0; i < 100; i++) table.takeWith(0x0a000001, 0, 1, 10, 80); // 80 allowed, then refused
  // 2,000 people, one request each: each is sampled with probability 1/5 (weight burst/16 = 5), so ≤ 64 keys and some dropped.
  for (let i = 0; i < 2000; i++) table.takeWith(0x0b000000 + i, 0, 1, 10, 80);
  const l = r.drain()!;
  const i = [...l.keys].indexOf(0x0a000001);
  assert.ok(i >= 0, 'the flooding key is recorded');
  // Past half (takes 41..80) exactly; the first 40 only as samples of weight 5.
  assert.ok(l.cost[i] >= 40 && l.cost[i] <= 40 + 200 && (l.cost[i] - 40) % 5 === 0, `recorded ${l.cost[i]}`);
  assert.ok(l.keys.length <= 64);
  for (let j = 0; j < l.keys.length; j++)
    if (j !== i) assert.equal(l.cost[j], 5, 'a person appears only as one sample of burst/16');
});

test('isUsageList: typed arrays of one length only', () => {
  const ok = {
    keys: new Int32Array(2),
    cost: new Float64Array(2),
    rate: new Float64Array(2),
    burst: new Float64Array(2),
  };
  assert.ok(isUsageList(ok));
  assert.ok(!isUsageList({ ...ok, cost: new Float64Array(1) }));
  assert.ok(!isUsageList({ ...ok, keys: [1, 2] }));
  assert.ok(!isUsageList(null));
  assert.ok(!isUsageList('usage'));
});

test('applyUsage: debits each key with the sender’s rule, skips entries no bucket can have', () => {
  const t = createTokenBuckets({ capacity: 64, rate: 1, burst: 1 });
  const list = {
    keys: Int32Array.of(7, 8, 9, 10),
    cost: Float64Array.of(12, 500, 3, 1),
    rate: Float64Array.of(10, 10, 0, Infinity),
    burst: Float64Array.of(20, 20, 5, 5),
  };
  const charged = applyUsage(t, list, 1000);
  assert.equal(charged, 12 + 30, 'key 8 stops one second (10 tokens) past empty');
  assert.equal(t.remaining(7, 1000, 10, 20), 8);
  assert.equal(t.remaining(8, 1000, 10, 20), -10);
  assert.equal(t.size(), 2, 'bad entries created nothing');
  assert.ok(t.takeWith(8, 1000, 1, 10, 20) > 1000, 'the debited client is refused here too');
});

/** N workers' address tables (real compileLimits, recorders attached), ticks 1 s apart at staggered offsets. */
function simulate(workers: number, rate: number, burst: number, perSecond: number, seconds: number): number {
  const cfg = camelize(policySchema.parse({ rate_limits: { default: { address: { rate, burst }, prefix: 'off' } } }));
  const ws = Array.from({ length: workers }, () => {
    const limits = compileLimits(cfg.rateLimits, ['page'])!;
    const rec = createUsageRecorder();
    limits.tables.address!.watch(rec);
    return { limits, rec };
  });
  const ctx = { clientKey: 0x7f000007 } as RequestContext;
  const t0 = 1_000_000;
  const nextTick = ws.map((_, i) => t0 + 137 + (i * 1000) / workers);
  let allowed = 0;
  let n = 0;
  for (let t = t0; t < t0 + seconds * 1000; t += 1000 / perSecond) {
    for (let i = 0; i < workers; i++) {
      for (; nextTick[i] <= t; nextTick[i] += 1000) {
        const list = ws[i].rec.drain();
        if (list) for (let j = 0; j < workers; j++) if (j !== i) applyUsage(ws[j].limits.tables.address!, list, t);
      }
    }
    if (ws[n++ % workers].limits.check(ctx, 0, t) === null) allowed++; // round robin, like node:cluster's connections
  }
  return allowed;
}

test('N workers sharing usage hold a spread client to about one bucket, not N', () => {
  const cases = [
    { workers: 2, rate: 20, burst: 40, perSecond: 400 }, // a flood
    { workers: 2, rate: 30, burst: 300, perSecond: 57 }, // steady at 1.9× the rate: never past half a burst on either worker
    { workers: 4, rate: 20, burst: 40, perSecond: 800 },
    { workers: 2, rate: 5, burst: 4, perSecond: 100 }, // burst under 16: reported take by take
    { workers: 2, rate: 30, burst: 300, perSecond: 25 }, // under the limit: nothing refused
  ];
  const seconds = 30;
  for (const c of cases) {
    const got = simulate(c.workers, c.rate, c.burst, c.perSecond, seconds);
    const one = Math.min(c.perSecond * seconds, c.rate * seconds + c.burst);
    const bound = c.rate * seconds + c.burst + (c.workers - 1) * (c.burst + c.rate); // limits-peers.ts
    const perWorker = Math.min(c.perSecond * seconds, c.workers * (c.rate * seconds + c.burst));
    if (one === c.perSecond * seconds) {
      assert.ok(got >= 0.98 * one, `${JSON.stringify(c)}: a client under its limit is served (${got} of ${one})`);
      continue;
    }
    assert.ok(
      got <= bound,
      `${JSON.stringify(c)}: allowed ${got} ≤ ${bound} (one bucket ${one}, per worker ${perWorker})`,
    );
    // Sampling noise charges a little more than used when a bucket is near full (a full bucket cannot bank an under-charge).
    assert.ok(got >= 0.8 * one, `${JSON.stringify(c)}: allowed ${got} is about one bucket ${one}`);
    assert.ok(
      got < one + 0.5 * (perWorker - one),
      `${JSON.stringify(c)}: allowed ${got} well under per-worker ${perWorker}`,
    );
  }
});

test('per-class buckets travel under their mixed key and the class rule', () => {
  const cfg = camelize(
    policySchema.parse({
      rate_limits: {
        default: { address: { rate: 100, burst: 1000 }, prefix: 'off' },
        classes: { login: { address: { rate: 1, burst: 4 } } },
      },
    }),
  );
  const [a, b] = [compileLimits(cfg.rateLimits, ['page', 'login'])!, compileLimits(cfg.rateLimits, ['page', 'login'])!];
  const rec = createUsageRecorder();
  a.tables.address!.watch(rec);
  const ctx = { clientKey: 0x7f000009 } as RequestContext;
  for (let i = 0; i < 4; i++) assert.equal(a.check(ctx, 1, 0), null);
  const l = rec.drain()!;
  assert.deepEqual([...l.keys], [mixKey(0x7f000009, 2)]);
  assert.deepEqual([...l.cost, ...l.rate, ...l.burst], [4, 1, 4]);
  applyUsage(b.tables.address!, l, 0);
  assert.equal(b.check(ctx, 1, 0)?.rule, 'limit/login', 'the other worker refuses the fifth login');
  assert.equal(b.check(ctx, 0, 0), null, 'the shared page bucket was not touched');
});
