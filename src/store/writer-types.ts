/**
 * What a StoreWriter is given (options, dependencies, participants) and what it tells about each
 * commit. Importers keep importing them from writer.ts, which re-exports them.
 */
import type { Logger } from 'pino';
import type { GatewayEvent, Reading } from '../domain/index.js';
import type { Db } from './db.js';

export interface WriterOptions {
  /** Flush as soon as this many readings wait. */
  maxRows: number;
  /**
   * Node state that changed without a reading is committed within this. Evidence (a reading the
   * detection engine scored), events and PUBACK waiters do not wait at all: they are committed on
   * the next turn of the event loop (commit-policy.ts).
   */
  maxDelayMs: number;
  /**
   * Routine readings (heartbeats, quiet sensor frames) may wait this long, so that at low rates
   * many share one commit: each commit rewrites every b-tree page it touches into the WAL, and an
   * SD card wears by the byte (P9). Default: maxDelayMs.
   */
  routineDelayMs?: number;
  /** While the disk refuses writes, keep at most this many readings in memory (events are always kept). */
  maxPendingWhileFailing?: number;
  /**
   * …and at most about this many bytes of them: a row count alone lets big frames (cam labels,
   * LoRa radio data) grow the heap past what a Pi has. Default 16 MiB.
   */
  maxBytesWhileFailing?: number;
  /** How often to retry after a failed commit. */
  retryMs?: number;
  /**
   * Node state that only readings changed (seq, frames, last seen, battery) is rewritten at most
   * this often; a restart replays the readings committed since (node-state.ts). Default 60,000 ms.
   */
  nodeStateEveryMs?: number;
  /** …or once this many readings were committed since, whichever comes first. Default 5,000. */
  nodeStateEveryReadings?: number;
}

export interface CommitInfo {
  readings: Reading[];
  events: GatewayEvent[];
  /** Rowid of `readings[0]`; the others follow by one (0 when there are none). */
  firstRid: number;
}

export interface WriterDeps {
  db: Db;
  log: Logger;
  options: WriterOptions;
  onCommit?: (info: CommitInfo) => void;
  /** Called once when writes start failing and once when they work again. */
  onStorageState?: (failing: boolean, error?: string) => void;
  /** Other state written inside every commit (the LoRa FCnts), so it is durable with its readings. */
  participants?: CommitParticipant[];
  /** Monotonic ms for the commit timing; performance.now() unless a test injects its clock. */
  now?: () => number;
}

/**
 * State written inside the group-commit transaction. `writeDirty` may run in a transaction that
 * then fails (a full disk fails at COMMIT, after every row was written); only `committed` says the
 * rows are durable, so a participant keeps them pending until then and writes them again.
 */
export interface CommitParticipant {
  writeDirty(): void;
  committed?(): void;
}
