// Coarse clock: one Date.now() read per tick instead of one per request
// (after undici lib/util/timers.js). Not a scheduler: callers own their ticks.
// Cost: one closure and one interval per clock, whatever the request rate.

export interface Clock {
  /** Milliseconds since the epoch, refreshed every `resolutionMs`. */
  now(): number;
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
    stop: () => clearInterval(timer),
  };
}

/** A clock that moves only when told to: for tests and replays. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function createManualClock(start = 0): ManualClock {
  let t = start;
  return {
    now: () => t,
    stop: () => {},
    set: (ms) => {
      t = ms;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
