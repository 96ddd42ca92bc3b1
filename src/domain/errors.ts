/**
 * The one error family of siaga. Code branches on `code` (and `reason` for rejected input),
 * never on message text.
 */
export type ErrorCode =
  | 'config'
  | 'storage'
  | 'siren'
  | 'command'
  | 'unavailable'
  | 'usage'
  | 'startup'
  | 'serial'
  | 'remote'
  | 'simulator'
  | 'sms'
  | 'alerts'
  | 'delivery'
  | 'invariant';

export abstract class SiagaError extends Error {
  abstract readonly code: ErrorCode;
  /** Process exit code a CLI command ends with when this error reaches it. */
  readonly exitCode: number = 1;
}

export interface ConfigIssue {
  /** e.g. `zones[1].sirens[0]` */
  path: string;
  message: string;
  /** Where in the file, 1-based, when the problem is at a place in it. */
  line?: number;
  col?: number;
}

/** `zones[1].sirens[0]: unknown siren "s-x" (line 12, col 14)`: the key path first, as the spec shows. */
export function formatIssue(i: ConfigIssue): string {
  const at = i.line !== undefined ? ` (line ${i.line}, col ${i.col ?? 1})` : '';
  return `${i.path ? `${i.path}: ` : ''}${i.message}${at}`;
}

/** The config file is missing, unreadable or invalid. Exit 78 (EX_CONFIG). */
export class ConfigError extends SiagaError {
  readonly code = 'config';
  override readonly exitCode = 78;
  constructor(
    readonly issues: ConfigIssue[],
    readonly file?: string,
  ) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
  }
}

/** SQLite could not read or write (disk full, read-only media, corruption). */
export class StorageError extends SiagaError {
  readonly code = 'storage';
  constructor(
    message: string,
    readonly sqliteCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
  get diskFull(): boolean {
    return this.sqliteCode === 'SQLITE_FULL' || this.sqliteCode === 'SQLITE_READONLY';
  }
}

/** A siren driver failed to switch or check. */
export class SirenError extends SiagaError {
  readonly code = 'siren';
  constructor(
    readonly siren: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SirenError';
  }
}

/** A signed command was refused; `reason` is sent back in `cmd/res` and recorded as an event. */
export class CommandError extends SiagaError {
  readonly code = 'command';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** The running gateway could not be reached over its control socket. Exit 69 (EX_UNAVAILABLE). */
export class UnavailableError extends SiagaError {
  readonly code = 'unavailable';
  override readonly exitCode = 69;
  constructor(
    message: string,
    /** Why, for a caller that says it in another language: no permission, nobody listening, … */
    readonly reason?: 'no_access' | 'not_running' | 'closed' | 'no_answer',
  ) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/** Wrong command-line usage. Exit 64 (EX_USAGE). */
export class UsageError extends SiagaError {
  readonly code = 'usage';
  override readonly exitCode = 64;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The gateway could not start (a port taken, a directory missing); what had started was rolled back. */
export class StartupError extends SiagaError {
  readonly code = 'startup';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

/** A serial source was misused (write while closed, start after stop). */
export class SerialError extends SiagaError {
  readonly code = 'serial';
  constructor(
    readonly reason: 'not_open' | 'stopped',
    message: string,
  ) {
    super(message);
    this.name = 'SerialError';
  }
}

/** The running gateway refused a control request; `exitCode` is the one it asked the CLI to use. */
export class RemoteError extends SiagaError {
  readonly code = 'remote';
  override readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'RemoteError';
    this.exitCode = exitCode;
  }
}

/** The simulator was asked for a frame its codec cannot express (a test or bench input, not a node's). */
export class SimulatorError extends SiagaError {
  readonly code = 'simulator';
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorError';
  }
}

/** An SMS could not be handed to the modem's daemon; the message stays the caller's to retry. */
export class SmsError extends SiagaError {
  readonly code = 'sms';
  constructor(
    readonly reason: 'spool_missing' | 'spool_unwritable' | 'spool_full' | 'bad_recipient' | 'bad_text',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmsError';
  }
}

/** An alerts request that cannot be done: an unknown code, an incident already over, an unknown contact. */
export class AlertError extends SiagaError {
  readonly code = 'alerts';
  constructor(message: string) {
    super(message);
    this.name = 'AlertError';
  }
}

/** A remote server (EarthRanger, Gundi) did not take a request; `reason` decides retry or park. */
export class DeliveryError extends SiagaError {
  readonly code = 'delivery';
  constructor(
    readonly reason: 'token_refused' | 'refused' | 'unavailable' | 'timeout' | 'no_id',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/**
 * Something the code itself made sure of did not hold (an index it had bounded, a key it had put).
 * A bug in siaga, never a reaction to input: parsers reject bad input with a counted reason instead.
 */
export class InvariantError extends SiagaError {
  readonly code = 'invariant';
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

export function isSiagaError(e: unknown): e is SiagaError {
  return e instanceof SiagaError;
}
