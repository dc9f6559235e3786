// A part of the app's one-second tick: what a module registers to run once a
// second (src/app/ticker.ts runs the parts in registration order, on the
// injected clock) and to release at stop. Never per request.
export interface TickPart {
  /** Once a second, with the tick's one clock reading. */
  tick(now: number): void;
  close(): void | Promise<void>;
}
