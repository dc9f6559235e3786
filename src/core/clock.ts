// Coarse clock: one Date.now() read per tick instead of one per request
// (after undici lib/util/timers.js), and the app's one-second tick: every()
// runs a callback on a real interval, or, on a manual clock, whenever a test
// moves the time past it (tests drive the app's tick instead of sleeping).
// Cost: one closure and one interval per clock, whatever the request rate.

export interface Clock {
  /** Milliseconds since the epoch, refreshed every `resolutionMs`. */
  now(): number;
  /**
   * Calls fn(now) every `intervalMs` (unref'd: it never keeps the process
   * alive); returns the cancel function. With `phaseMs`, a real clock calls it
   * at wall-clock multiples of `intervalMs` plus `phaseMs` (everyAligned); a
   * manual clock ignores the phase.
   */
  every(intervalMs: number, fn: (now: number) => void, phaseMs?: number): () => void;
  stop(): void;
}

export function createCoarseClock(resolutionMs = 10): Clock {
  let t = Date.now();
  const timer = setInterval(() => {
    t = Date.now();
  }, resolutionMs);
  timer.unref();
  return {
    now: () => t,
    every(intervalMs, fn, phaseMs) {
      if (phaseMs !== undefined)
        return everyAligned(intervalMs, phaseMs, () => {
          t = Date.now();
          fn(t);
        });
      const each = setInterval(() => fn(t), intervalMs);
      each.unref();
      return () => clearInterval(each);
    },
    stop: () => clearInterval(timer),
  };
}

/** The app's tick (every process that serves requests): 5 ms after each wall-clock second. */
export const TICK_PHASE_MS = 5;
/**
 * The cluster detector's tick on the primary: after the workers' (their parts
 * of the second that just closed are in, unless a worker's event loop is over
 * 75 ms late; a late part lands in the next second, totals stay exact).
 */
export const PRIMARY_TICK_PHASE_MS = 80;

/**
 * Calls fn at wall-clock multiples of `intervalMs` plus `phaseMs` (a tick at
 * x.005 s, another at x+1.005 s…), one unref'd timeout at a time, so that
 * processes ticking once a second close the same seconds: a worker's second
 * ends just before the primary's, which ticks a little later with every
 * worker's part in (src/app/cluster-detector.ts). A late call (a busy event
 * loop) skips the boundaries it missed and never runs twice for one. `fn`
 * gets the boundary it was scheduled for (ms since the epoch). Returns the
 * cancel function.
 */
export function everyAligned(intervalMs: number, phaseMs: number, fn: (due: number) => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  let last = Number.NEGATIVE_INFINITY;
  let cancelled = false;
  const schedule = () => {
    if (cancelled) return;
    const now = Date.now();
    let due = Math.floor((now - phaseMs) / intervalMs) * intervalMs + intervalMs + phaseMs;
    if (due <= last) due = last + intervalMs;
    last = due;
    timer = setTimeout(run, due - now, due);
    timer.unref();
  };
  const run = (due: number) => {
    try {
      fn(due);
    } finally {
      schedule(); // after fn: a call that overran skips the boundaries it covered
    }
  };
  schedule();
  return () => {
    cancelled = true;
    if (timer) clearTimeout(timer);
  };
}

/** A clock that moves only when told to: for tests and replays. */
export interface ManualClock extends Clock {
  /** Jumps to `ms`; callbacks due on the way run once each (at `ms`). */
  set(ms: number): void;
  /** Moves `ms` forward; each callback runs at every due time on the way, with the time set to it. */
  advance(ms: number): void;
}

interface Repeat {
  intervalMs: number;
  due: number;
  fn: (now: number) => void;
}

export function createManualClock(start = 0): ManualClock {
  let t = start;
  const repeats = new Set<Repeat>();
  /** The earliest callback due at or before `until`, or null. */
  const nextDue = (until: number): Repeat | null => {
    let first: Repeat | null = null;
    for (const r of repeats) if (r.due <= until && (first === null || r.due < first.due)) first = r;
    return first;
  };
  return {
    now: () => t,
    every(intervalMs, fn) {
      const r: Repeat = { intervalMs, due: t + intervalMs, fn };
      repeats.add(r);
      return () => repeats.delete(r);
    },
    stop: () => repeats.clear(),
    set(ms) {
      t = ms;
      for (const r of [...repeats]) {
        if (r.due > t) continue;
        r.due = t + r.intervalMs;
        r.fn(t);
      }
    },
    advance(ms) {
      const until = t + ms;
      for (let r = nextDue(until); r !== null; r = nextDue(until)) {
        t = r.due;
        r.due += r.intervalMs;
        r.fn(t);
      }
      t = until;
    },
  };
}
