// The one bounded poll for tests: checks a condition every `intervalMs` until
// it holds and resolves with its value; fails after `timeoutMs` naming what it
// waited for and the last value it saw. Not a timing assertion: the bound only
// turns a broken build into a failure instead of a hang, so keep it generous.

export interface WaitOptions {
  /** What is awaited, for the timeout message ("the ban to reach node B"). */
  what: string;
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Check again after this long. Default 50 ms. */
  intervalMs?: number;
  /** Extra state for the timeout message, read once on failure. */
  seen?: () => unknown;
}

type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Resolves with `check`'s first truthy result (sync or async). */
export async function waitFor<T>(check: () => T | Promise<T>, opts: WaitOptions): Promise<Truthy<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > until) {
      const extra = opts.seen ? `; ${describe(opts.seen())}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what} (last: ${describe(value)}${extra})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

function describe(v: unknown): string {
  const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** What waitForTicks reads: a detector's snapshot (single process, cluster primary or redis node). */
export interface Ticking {
  snapshot(): { series: { t: number[] } };
}

/** The newest second a detector has closed (its last tick's sample), 0 before any. */
export function lastTick(d: Ticking): number {
  return d.snapshot().series.t.at(-1) ?? 0;
}

/**
 * Resolves once the detector has closed `n` more seconds than it had when
 * called: the app's one-second tick (a real setInterval the test clock cannot
 * drive) has run n times, however slow the machine is.
 */
export async function waitForTicks(d: Ticking, n: number, what = `${n} more detector ticks`): Promise<void> {
  const from = lastTick(d);
  await waitFor(() => lastTick(d) >= from + n * 1000, { what, timeoutMs: 10_000 + n * 2000, seen: () => lastTick(d) });
}
