// Micro-benchmarks of origin protection's per-request work (mitata): a cache
// hit through the stage (lookup + headers copy + a discarding response), a
// miss that becomes the leader, a bypass (cookie), an admission admit and
// release through the stage with ctx.onDone, and the circuit's allow/record.
// Run: node --expose-gc --import tsx bench/origin/hot-path.bench.ts
import { bench, do_not_optimize, run, summary } from 'mitata';
import { camelize } from '../../src/config/camelize.js';
import { originProtectionSchema } from '../../src/config/schema/origin-protection.js';
import { RequestContext, type Req, type Res } from '../../src/core/model.js';
import { compileCache } from '../../src/cache/stage.js';
import { compileAdmission } from '../../src/proxy/admission.js';
import { Circuit } from '../../src/proxy/circuit.js';

const NOW = 1_900_000_000_000;
const op = camelize(originProtectionSchema.parse({ admission: { concurrency: 64 } }));
const cache = compileCache(op.cache, { now: () => NOW, mode: () => 'normal', extraIgnoredCookies: ['rampart_pass'] });
const admission = compileAdmission(op.admission, op.circuit, { now: () => NOW });
const res = { writeHead() {}, end() {}, destroyed: false, headersSent: false } as unknown as Res;

function context(path: string, headers: Record<string, string> = {}): RequestContext {
  const req = {
    method: 'GET',
    url: path,
    headers: { host: 'site.test', 'accept-encoding': 'gzip', ...headers },
  } as unknown as Req;
  const ctx = new RequestContext(req, res);
  Object.assign(ctx, { method: 'GET', target: path, path, host: 'site.test', clientKey: 0x7f000001 });
  return ctx;
}

// Fill one entry through the sink, as the forwarder would.
const seed = context('/home');
cache.stage.run(seed);
seed.cacheSink!.start(200, {
  'content-type': 'text/html',
  'cache-control': 'public, max-age=600',
  'content-length': '5000',
});
seed.cacheSink!.data(Buffer.alloc(5000, 97));
seed.cacheSink!.end();
seed.onDone?.(seed);

let n = 0;
summary(() => {
  bench('cache hit (stage.run, 5 KB page)', () => do_not_optimize(cache.stage.run(context('/home'))));
  bench('cache bypass (session cookie)', () =>
    do_not_optimize(cache.stage.run(context('/home', { cookie: 'session=abc' }))),
  );
  bench('cache miss → leader (then done)', () => {
    const c = context(`/p${n++ & 1023}`);
    do_not_optimize(cache.stage.run(c));
    c.onDone?.(c);
  });
  bench('admission admit + release (stage.run, onDone)', () => {
    const c = context('/x');
    do_not_optimize(admission.stage.run(c));
    c.status = 200;
    c.originMs = 3;
    c.onDone!(c);
  });
});
const circuit = new Circuit({
  failures: 10,
  failureRatio: 0.5,
  minRequests: 20,
  windowMs: 10_000,
  openFor: 5_000,
  maxOpenFor: 60_000,
  probes: 3,
});
bench('circuit allow + record ok', () => {
  do_not_optimize(circuit.allow(NOW));
  circuit.record(NOW, 'ok', false);
});
await run();
console.log(
  'cache after the run:',
  JSON.stringify({ entries: cache.stats().entries, bytes: cache.stats().bytes, hits: cache.stats().hits }),
);
admission.close();
