import { fstatSync } from 'node:fs';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * How log lines are written:
 * - `json`: one pino JSON object per line (files, pipes, tests);
 * - `journal`: the same line behind an sd-daemon(3) `<N>` syslog priority, so journald files a
 *   warning as a warning and `journalctl -p warning` finds it (pino's numeric levels alone are
 *   all filed as info);
 * - `pretty`: one short line for a person at a terminal (`siaga run` by hand over SSH).
 */
export type LogFormat = 'json' | 'journal' | 'pretty';
export const LOG_FORMATS = ['auto', 'json', 'journal', 'pretty'] as const;

export interface LogOptions {
  /** `auto` (default): journal under systemd, pretty on a terminal, else JSON. */
  format?: LogFormat | 'auto';
  /** File descriptor written to; default 1 (stdout). */
  fd?: number;
  env?: NodeJS.ProcessEnv;
}

/** pino level → syslog priority (sd-daemon(3)): fatal crit, error err, warn warning, info, debug. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/**
 * systemd sets JOURNAL_STREAM to `<device>:<inode>` of the stream it connected to the journal;
 * it is only ours when the fd we write to is that very stream (not a pipe a child inherited).
 */
export function chooseLogFormat(
  env: NodeJS.ProcessEnv,
  fd: number,
  isTTY: boolean,
  stat: (fd: number) => { dev: number; ino: number } = fstatSync,
): LogFormat {
  const js = env.JOURNAL_STREAM;
  if (js) {
    try {
      const s = stat(fd);
      if (js === `${s.dev}:${s.ino}`) return 'journal';
    } catch {
      // An fd we cannot stat is not the journal.
    }
  }
  return isTTY ? 'pretty' : 'json';
}

const LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
const QUIET_KEYS = new Set(['level', 'time', 'msg', 'svc', 'c', 'pid', 'hostname']);

function show(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (v && typeof v === 'object' && 'message' in v && typeof v.message === 'string') {
    const code = 'code' in v && typeof v.code === 'string' && /^E[A-Z]+$/.test(v.code) ? `${v.code} ` : '';
    return JSON.stringify(`${code}${v.message}`);
  }
  return JSON.stringify(v);
}

/** One pino JSON line as a person reads it: `07:14:43.123 WARN  [uplink] message key=value`. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const t = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  const label = LABELS[Number(o.level)] ?? String(o.level);
  const comp = typeof o.c === 'string' ? `[${o.c}] ` : '';
  const rest = Object.entries(o)
    .filter(([k]) => !QUIET_KEYS.has(k))
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');
  return `${t} ${label} ${comp}${String(o.msg ?? '')}${rest ? `  ${rest}` : ''}\n`;
}

const LEVEL_AT = /"level":(\d+)/;

/** Wraps a synchronous sink so each line gets its journald priority or its pretty form. */
function formatted(
  format: 'journal' | 'pretty',
  fd: number,
): DestinationStream & { flushSync(): void; flush(cb?: (err?: Error) => void): void } {
  const sink = pino.destination({ fd, sync: true });
  return {
    write(line: string) {
      if (format === 'pretty') sink.write(prettyLine(line));
      else sink.write(`<${syslogPriority(Number(LEVEL_AT.exec(line)?.[1] ?? 30))}>${line}`);
    },
    flushSync: () => sink.flushSync(),
    flush: (cb) => sink.flush(cb),
  };
}

/**
 * Logs to stdout, one child logger per component. Synchronous writes: no worker thread (memory
 * on a Pi, P6) and nothing lost in a buffer when the process dies or exits on a fatal error.
 */
export function createLogger(level: string, destination?: DestinationStream, opts: LogOptions = {}): Logger {
  const fd = opts.fd ?? 1;
  const format =
    opts.format && opts.format !== 'auto'
      ? opts.format
      : destination
        ? 'json'
        : chooseLogFormat(
            opts.env ?? process.env,
            fd,
            Boolean(fd === 2 ? process.stderr.isTTY : process.stdout.isTTY),
          );
  const dest =
    destination ?? (format === 'json' ? pino.destination({ fd, sync: true }) : formatted(format, fd));
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
    dest,
  );
}
