import type { Logger } from 'pino';
import type { EventFields, EventKind, EventSink } from '../domain/index.js';
import type { Silence } from '../store/silences.js';
import type { Switch } from './state.js';
import type { SirenStorePort } from './types.js';

/**
 * The event and SQLite side of the siren controller. Nothing here throws: a failing event sink or
 * database is logged and the sirens keep working from memory (docs/behaviour.md, disk full).
 */
export class SirenRecords {
  constructor(
    private readonly events: EventSink,
    readonly store: SirenStorePort,
    private readonly log: Logger,
  ) {}

  emit(kind: EventKind, fields: EventFields): void {
    try {
      this.events.emit(kind, fields);
    } catch (e) {
      this.log.error({ kind, err: e }, 'cannot record siren event');
    }
  }

  /** Runs a store operation; a failure is logged and otherwise ignored. */
  tryStore(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.log.error({ err: e }, `siren store: cannot ${what}; continuing from memory`);
    }
  }

  /** A zone was silenced for `minutes`: stored (to survive restarts) and an event. */
  silenceSet(s: Silence, minutes: number): void {
    this.tryStore('write silence', () => this.store.setSilence(s));
    const { zone, until, by, reason } = s;
    this.emit('siren_silenced', { zone, until, by, minutes, ...(reason ? { reason } : {}) });
  }

  /** A zone's silence ended (lifted or expired): removed from the store and an event. */
  silenceEnded(zone: string, fields: EventFields): void {
    this.tryStore('delete silence', () => this.store.deleteSilence(zone));
    this.emit('siren_silenced', { zone, ...fields });
  }

  /** Event and siren_log row of a switch: after every driver of this round was called. */
  finishSwitch(sw: Switch, now: number): void {
    const { slot } = sw;
    this.emit(sw.on ? 'siren_on' : 'siren_off', { siren: slot.id, zone: sw.zone, cause: sw.cause });
    if (sw.on) {
      this.tryStore('write siren_log', () => {
        slot.logId = this.store.openLog(slot.id, sw.zone, now, sw.cause);
      });
    } else if (slot.logId !== null) {
      const id = slot.logId;
      slot.logId = null;
      this.tryStore('write siren_log', () => this.store.closeLog(id, now));
    }
  }
}
