import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** For parts that need a logger but whose tests are not about what they log. */
export const silentLog: Logger = pino({ level: 'silent' });

/** A pino logger whose JSON lines the test can read back, for tests that are about the log. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level }, sink), lines };
}
