import { crashedRunEnd } from './ledger.js';
import { HOUR_MS } from './policy.js';
import type { SirenRecords } from './records.js';
import type { SirenState } from './state.js';

/**
 * Safe start, second half (docs/behaviour.md, Sirens): once every siren is off, rebuild from SQLite
 * what must survive a restart — close the siren_log rows the gateway left open, reload the
 * silences still running (dropping ended ones) and the last hour's on-time for the budget.
 * Each step stands alone: a failing one is logged and the sirens work on from memory.
 */
export function restoreFromStore(st: SirenState, records: SirenRecords, now: number): void {
  const { store } = records;
  records.tryStore('close open siren_log rows', () => {
    for (const row of store.openLogs()) {
      store.closeLog(row.id, crashedRunEnd(row.onTs, now, st.policy));
      records.emit('siren_off', { siren: row.siren, zone: row.zone, cause: 'safe_start' });
    }
  });
  records.tryStore('read silences', () => {
    for (const s of store.silences()) {
      if (s.until > now) st.silences.set(s);
      else store.deleteSilence(s.zone);
    }
  });
  records.tryStore('read siren_log', () => {
    for (const r of store.logsSince(now - HOUR_MS)) {
      const slot = st.sirens.get(r.siren);
      if (slot) slot.intervals.push({ start: r.onTs, end: r.offTs ?? now });
    }
  });
}
