// The process logger (pino, JSON lines). Refusals are logged; the allow path
// is counted and sampled, never logged per request (see the access log).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, dest: NodeJS.WritableStream | number = 1): Logger {
  const stream = typeof dest === 'number' ? pino.destination({ fd: dest, sync: false }) : dest;
  return pino({ level, base: { app: 'rampart' }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}
