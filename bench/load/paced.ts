// A paced (open-loop) HTTP load client: sends RATE requests per second for
// DURATION seconds over keep-alive connections and records each latency from
// the time the request was *scheduled* (not sent), so a stalled server cannot
// hide its queueing (no coordinated omission). wrk2 is not in Debian; this
// stands in for it at moderate rates. Prints one JSON line of results.
// The first WARMUP_S seconds (default 2) are sent at the same rate but not recorded
// (connection set-up and JIT of both ends).
// Usage: node --import tsx bench/load/paced.ts URL RATE DURATION_S [CONNECTIONS] [WARMUP_S]
import { Pool } from 'undici';
import * as hdr from 'hdr-histogram-js';

const [url, rateArg, durArg, connArg, warmArg] = process.argv.slice(2);
const rate = Number(rateArg);
const warmupMs = Number(warmArg ?? 2) * 1000;
const durationMs = Number(durArg) * 1000 + warmupMs;
const u = new URL(url);
const pool = new Pool(u.origin, { connections: Number(connArg ?? 32), pipelining: 1, keepAliveTimeout: 60_000 });
const hist = hdr.build({
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3,
});
let sent = 0;
let done = 0;
let errors = 0;
let non2xx = 0;
const start = performance.now();
const intervalMs = 1000 / rate;

function fire(scheduledAt: number): void {
  pool.request({ method: 'GET', path: u.pathname + u.search }).then(
    async (r) => {
      if (r.statusCode < 200 || r.statusCode > 299) non2xx++;
      await r.body.dump();
      if (scheduledAt - start >= warmupMs)
        hist.recordValue(Math.max(1, Math.round((performance.now() - scheduledAt) * 1000)));
      done++;
    },
    () => {
      errors++;
      done++;
    },
  );
}

// A 1 ms interval: requests due in the same millisecond leave together, which
// adds up to ~1 ms to every latency equally for all targets (a spinning
// setImmediate loop is tighter but steals CPU on a shared machine).
function tick(): void {
  const elapsed = performance.now() - start;
  const due = Math.min(Math.floor(elapsed / intervalMs), Math.floor(durationMs / intervalMs));
  while (sent < due) fire(start + sent++ * intervalMs);
  if (elapsed < durationMs) return;
  clearInterval(timer);
  const wait = setInterval(() => {
    if (done < sent && performance.now() - start < durationMs + 10_000) return;
    clearInterval(wait);
    const ms = (p: number) => hist.getValueAtPercentile(p) / 1000;
    console.log(
      JSON.stringify({
        rate,
        sent,
        done,
        errors,
        non2xx,
        achieved: done / (durationMs / 1000),
        recorded: hist.totalCount,
        p50: ms(50),
        p90: ms(90),
        p99: ms(99),
        p999: ms(99.9),
        max: hist.maxValue / 1000,
      }),
    );
    void pool.close();
  }, 50);
}
const timer = setInterval(tick, 1);
