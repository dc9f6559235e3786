// A logger that keeps what the app logs, so a test can wait for the line that
// says an effect happened (e.g. the tick tightening connection deadlines)
// instead of sleeping until it probably has. JSON lines of pino, in memory.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/app/logger.js';

export interface LogLines {
  log: Logger;
  /** How many lines so far carry exactly this message. */
  count(msg: string): number;
}

export function captureLog(level = 'warn'): LogLines {
  const msgs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) msgs.push((JSON.parse(line) as { msg?: string }).msg ?? '');
      }
      done();
    },
  });
  return { log: createLogger(level, sink), count: (msg) => msgs.filter((m) => m === msg).length };
}
