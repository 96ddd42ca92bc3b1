import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** JSON logs to stdout (journald keeps them); one child logger per component. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'siaga' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Secrets never reach a log line even if a component logs a config object by mistake.
      redact: {
        paths: ['*.password', '*.secret', '*.nwk_s_key', '*.app_s_key', '*.password_hash'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
