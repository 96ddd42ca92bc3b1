import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/index.js';
import { testConfig } from '../helpers/gateway.js';
import { ingestRig } from '../helpers/ingest-rig.js';

const NOW = Date.parse('2026-11-25T21:00:00Z');
const DAY = 86_400_000;

function rig() {
  const config = testConfig();
  const { db, writer, ingest, counters } = ingestRig({
    config,
    dbPath: config.storage.path,
    clock: new ManualClock(NOW),
    writer: { maxRows: 100, maxDelayMs: 2, routineDelayMs: 60_000 },
    retentionDays: 10,
  });
  const storedTs = () =>
    (db.prepare('SELECT seq, ts FROM readings ORDER BY seq').all() as { seq: number; ts: number }[]).map(
      (r) => [r.seq, r.ts],
    );
  return { db, writer, ingest, counters, storedTs };
}

describe('ingest and its commit (real SQLite)', () => {
  it('counts ingest only once the reading is committed', () => {
    const r = rig();
    r.ingest.acceptFrame({ node: 'pir-07', seq: 1, type: 'hb', v: { bat: 3.9 } }, { via: 'mqtt', from: 't' });
    expect(r.counters.get('ingest', 'mqtt')).toBe(0); // still only in memory
    r.writer.flush();
    expect(r.counters.get('ingest', 'mqtt')).toBe(1);
  });

  it('acceptLineCommitted resolves only after the commit, expedited past the routine window', async () => {
    const r = rig();
    const line = JSON.stringify({ node: 'pir-07', seq: 1, type: 'hb', bat: 3.9 });
    const res = await r.ingest.acceptLineCommitted(line, { via: 'mqtt', from: 't', expectNode: 'pir-07' });
    expect(res.ok).toBe(true);
    expect(r.storedTs()).toHaveLength(1); // routine_delay_ms is 60 s here: it did not wait for it
    expect(r.counters.get('ingest', 'mqtt')).toBe(1);
  });

  it('a node clock a year ahead, or jumping back past retention, is stored under the gateway time and counted', () => {
    const r = rig();
    const frame = (seq: number, ts: number) =>
      r.ingest.acceptFrame(
        { node: 'seis-03', seq, type: 'hb', v: { bat: 3.9 }, ts },
        { via: 'serial', from: 't' },
      );
    frame(1, NOW - 1000); // believed
    frame(2, NOW + 365 * DAY); // future
    frame(3, NOW - 20 * DAY); // 20 days behind the previous reading, retention is 10
    frame(4, NOW - 500); // believed again
    r.writer.flush();
    expect(r.storedTs()).toEqual([
      [1, NOW - 1000],
      [2, NOW],
      [3, NOW],
      [4, NOW - 500],
    ]);
    expect(r.counters.get('ts_clamped', 'serial')).toBe(2);
  });
});
