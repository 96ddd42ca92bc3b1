import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Clock } from '../domain/index.js';
import { type Db, openDb } from '../store/db.js';
import { Outbox } from '../store/outbox.js';
import { RunLog } from '../store/run-log.js';
import { type CommitInfo, type CommitParticipant, StoreWriter } from '../store/writer.js';
import type { GatewayBus } from './bus.js';

/** The database and the one writer that commits readings, events, outbox rows and node state together. */
export interface Storage {
  db: Db;
  runLog: RunLog;
  outbox: Outbox;
  writer: StoreWriter;
  /** State written inside every commit (the LoRa FCnts), added by the parts that own it. */
  participants: CommitParticipant[];
  /** Why writes fail right now, or undefined while they work. */
  error(): string | undefined;
  close(): void;
}

export function openStorage(config: Config, deps: { clock: Clock; log: Logger; bus: GatewayBus }): Storage {
  const log = deps.log.child({ c: 'store' });
  const db = openDb(config.storage.path);
  const runLog = new RunLog(db, deps.clock);
  runLog.begin();
  let error: string | undefined;
  const participants: CommitParticipant[] = [];
  const writer = new StoreWriter({
    db,
    participants,
    log,
    options: {
      maxRows: config.storage.group_commit.max_rows,
      maxDelayMs: config.storage.group_commit.max_delay_ms,
      routineDelayMs: config.storage.group_commit.routine_delay_ms,
      maxBytesWhileFailing: config.storage.disk_full_memory_mb * 1024 * 1024,
    },
    onCommit: (info) => {
      deps.bus.emit('commit', info);
      logCommit(log, info);
    },
    onStorageState: (failing, why) => {
      error = failing ? why : undefined;
      deps.bus.emit('storage', failing, why);
    },
  });
  return {
    db,
    runLog,
    outbox: new Outbox(db),
    writer,
    participants,
    error: () => error,
    close: () => {
      writer.close();
      db.close();
    },
  };
}

/** Debug aid for "did my reading get stored?": per node, the highest seq in the commit. */
function logCommit(log: Logger, info: CommitInfo): void {
  if (info.readings.length === 0 || !log.isLevelEnabled('debug')) return;
  const upto: Record<string, number> = {};
  for (const r of info.readings) upto[r.node] = r.seq;
  log.debug({ rows: info.readings.length, upto }, 'commit');
}
