import type { Config } from '../../src/config/schema.js';
import type { ManualClock, Reading } from '../../src/domain/index.js';
import { Counters } from '../../src/gateway/counters.js';
import { EventLog } from '../../src/gateway/event-log.js';
import { Ingest } from '../../src/gateway/ingest.js';
import { NodeTracker } from '../../src/gateway/node-tracker.js';
import { type Db, openDb } from '../../src/store/db.js';
import { loadNodeStates } from '../../src/store/node-state.js';
import { StoreWriter, type WriterDeps, type WriterOptions } from '../../src/store/writer.js';
import { silentLog } from './log.js';

export interface IngestRigOptions {
  config: Config;
  /** An SQLite file (reopened across a "restart") or ':memory:'. */
  dbPath: string;
  clock: ManualClock;
  writer: WriterOptions;
  /** Counters of the gateway; a test passes a spy subclass to see every count. */
  counters?: Counters;
  onReading?: (r: Reading) => void;
  onStorageState?: WriterDeps['onStorageState'];
  retentionDays?: number;
}

/**
 * The gateway's ingest path as main.ts wires it (writer → event log → node tracker → ingest), over
 * a real SQLite store, without radios or timers of its own. Node states are loaded from the
 * database, so a rig reopened on the same file is the gateway after a restart.
 */
export function ingestRig(opts: IngestRigOptions) {
  const { config, clock } = opts;
  const db: Db = openDb(opts.dbPath);
  const counters = opts.counters ?? new Counters();
  const writer = new StoreWriter({
    db,
    log: silentLog,
    options: opts.writer,
    ...(opts.onStorageState ? { onStorageState: opts.onStorageState } : {}),
  });
  const events = new EventLog({ clock, log: silentLog, store: (e) => writer.addEvent(e) });
  const tracker = new NodeTracker({
    nodes: config.nodes,
    states: loadNodeStates(db),
    events,
    startedAt: clock.now(),
  });
  const ingest = new Ingest({
    tracker,
    writer,
    clock,
    counters,
    log: silentLog,
    minValidTime: Date.parse(config.gateway.min_valid_time),
    onReading: opts.onReading ?? (() => {}),
    ...(opts.retentionDays === undefined ? {} : { retentionDays: opts.retentionDays }),
  });
  return { config, db, clock, counters, writer, events, tracker, ingest };
}
