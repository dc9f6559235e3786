// A client that wants more than its rate limit, for the shared-limit tests
// (cluster workers, nodes): four loops of requests for 6 s, then the check
// that it got about ONE bucket over the run, not one per worker or node,
// with the bound computed from the limit. No timing assertion: counts only.
import assert from 'node:assert/strict';

export interface Hammered {
  allowed: number;
  limited: number;
  sent: number;
  seconds: number;
  detail: string;
}

/** Four loops of `get(n)` (each a fresh connection, so the primary or the test spreads them) for 6 s, with a short pause each. */
export async function hammer(get: (n: number) => Promise<number>): Promise<Hammered> {
  const counts = new Map<number, number>();
  let n = 0;
  const t0 = Date.now();
  const until = t0 + 6000; // a few seconds: one second of slack per party is small beside rate·T on a noisy machine
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < until) {
        const status = await get(n++);
        counts.set(status, (counts.get(status) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
      }
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  const allowed = counts.get(200) ?? 0;
  const limited = counts.get(429) ?? 0;
  const sent = [...counts.values()].reduce((a, b) => a + b, 0);
  return {
    allowed,
    limited,
    sent,
    seconds,
    detail: `allowed ${allowed}, limited ${limited}, sent ${sent} in ${seconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(counts))}`,
  };
}

/**
 * About one bucket of `rate`/`burst` over the run when `parties` workers or
 * nodes each hold one: + every other party's burst once and `lagS` seconds of
 * its usage in flight (a tick; more across nodes), + half a second for the
 * coarse clocks; and clearly under the `parties` buckets unshared tables allow.
 */
export function checkOneBucket(
  r: Hammered,
  o: { rate: number; burst: number; parties: number; lagS: number; what: string },
): void {
  assert.equal(r.allowed + r.limited, r.sent, `only 200 and 429 answers: ${r.detail}`);
  const oneBucket = o.rate * r.seconds + o.burst;
  const bound = oneBucket + (o.parties - 1) * (o.burst + o.rate * o.lagS) + o.rate * 0.5;
  const unshared = o.parties * oneBucket;
  assert.ok(
    r.sent > unshared * 1.2,
    `the client sent more than unshared ${o.what} would allow (${unshared.toFixed(0)}), else the test proves nothing: ${r.detail}`,
  );
  assert.ok(
    r.allowed <= bound,
    `allowed ${r.allowed} ≤ ${bound.toFixed(0)} (one bucket ${oneBucket.toFixed(0)}; unshared ${o.what} would allow ${unshared.toFixed(0)}): ${r.detail}`,
  );
  assert.ok(
    r.allowed >= 0.7 * oneBucket,
    `the client still got about its limit (${oneBucket.toFixed(0)}): ${r.detail}`,
  );
}
