// Coarse clock: one Date.now() read per tick instead of one per request
// (after undici lib/util/timers.js), and the app's one-second tick: every()
// runs a callback on a real interval, or, on a manual clock, whenever a test
// moves the time past it (tests drive the app's tick instead of sleeping).
// Cost: one closure and one interval per clock, whatever the request rate.

export interface Clock {
  /** Milliseconds since the epoch, refreshed every `resolutionMs`. */
  now(): number;
  /** Calls fn(now) every `intervalMs` (unref'd: it never keeps the process alive); returns the cancel function. */
  every(intervalMs: number, fn: (now: number) => void): () => void;
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
    every(intervalMs, fn) {
      const each = setInterval(() => fn(t), intervalMs);
      each.unref();
      return () => clearInterval(each);
    },
    stop: () => clearInterval(timer),
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
