// The app's one-second tick: the parts the modules register, run in
// registration order on the injected clock (a real interval, or a test's
// manual clock moving), with one clock reading shared by all of them. A part
// that throws is logged and the others still run. close() releases the parts
// in reverse order. Never per request.
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { TickPart } from '../exchange/tick-part.js';

export type { TickPart };

export class Ticker {
  private readonly parts: { name: string; part: Partial<TickPart> }[] = [];
  private cancel: (() => void) | null = null;

  constructor(private readonly log: Logger) {}

  /** Adds a part; `tick` or `close` may be absent (a part with nothing to release, or nothing to do each second). */
  add(name: string, part: Partial<TickPart>): void {
    this.parts.push({ name, part });
  }

  /** The registered names, in tick order (the admin API and docs show them). */
  names(): string[] {
    return this.parts.map((p) => p.name);
  }

  /** Ticks every `intervalMs`, at wall-clock multiples of it plus `phaseMs` when given (core/clock.ts everyAligned). */
  start(clock: Clock, intervalMs = 1000, phaseMs?: number): void {
    this.cancel ??= clock.every(intervalMs, (now) => this.tick(now), phaseMs);
  }

  tick(now: number): void {
    for (let i = 0; i < this.parts.length; i++) {
      const { name, part } = this.parts[i];
      try {
        part.tick?.(now);
      } catch (err) {
        this.log.error({ err, part: name }, 'a part of the tick failed; the others ran');
      }
    }
  }

  /** Stops ticking (the parts stay open until close()). */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  async close(): Promise<void> {
    this.stop();
    for (let i = this.parts.length - 1; i >= 0; i--) {
      const { name, part } = this.parts[i];
      try {
        await part.close?.();
      } catch (err) {
        this.log.error({ err, part: name }, 'a part failed to close');
      }
    }
  }
}
