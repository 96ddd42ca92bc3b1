import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoraUplinkHandler } from '../../src/codecs/lora-uplink.js';
import type { LoraDeviceConfig } from '../../src/config/schema.js';
import type { Frame } from '../../src/domain/index.js';
import { ManualClock, StorageError } from '../../src/domain/index.js';
import { buildPhyPayload } from '../../src/sim/lora.js';
import type { Db } from '../../src/store/db.js';
import { openDb } from '../../src/store/db.js';
import { LoraStateStore, MAX_STAT_ROWS, STAT_RETENTION_MS } from '../../src/store/lora-state.js';
import { StoreWriter } from '../../src/store/writer.js';
import { silentLog } from '../helpers/gateway.js';
import { must } from '../helpers/must.js';

const DEVICE: LoraDeviceConfig = {
  node: 'beam-11',
  dev_addr: '260B0001',
  nwk_s_key: '11112222333344445555666677778888',
  app_s_key: '8888777766665555444433332222aaaa',
  codec: 'lpp',
};
const beam = (seq: number): Frame => ({ node: 'beam-11', seq, type: 'beam', v: { cut: 1 } });

describe('LoraStateStore on a real SQLite file', () => {
  let dir: string;
  let path: string;
  const open: Db[] = [];
  const firstDb = () => must(open[0], 'the database opened first');
  const reopen = () => {
    const db = openDb(path);
    open.push(db);
    return new LoraStateStore(db);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'siaga-lora-'));
    path = join(dir, 'siaga.db');
  });
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the FCnt across reopening, DevAddr in any case', () => {
    const a = reopen();
    expect(a.get('260b0001')).toBeUndefined();
    a.set('260B0001', 70_000, 1000);
    expect(a.get('260b0001')).toBe(70_000);
    firstDb().close();
    const b = reopen();
    expect(b.get('260B0001')).toBe(70_000);
  });

  it('refuses a replay after a restart, and continues past it', () => {
    const clock = new ManualClock(1_763_892_000_000);
    const run = (store: LoraStateStore, phys: Buffer[]) => {
      const counts: string[] = [];
      const seqs: number[] = [];
      const h = new LoraUplinkHandler({
        devices: [DEVICE],
        dedupS: 10,
        fcnt: store,
        clock,
        onFrame: (f) => seqs.push(f.seq),
        count: (r) => counts.push(r),
      });
      for (const phy of phys) {
        h.handlePush('aa555a0000000101', {
          rxpk: [{ freq: 922, datr: 'SF12BW125', rssi: -110, lsnr: -12.5, data: phy.toString('base64') }],
        });
      }
      return { counts, seqs };
    };
    const f41 = buildPhyPayload(DEVICE, beam(41), 41);
    const first = run(reopen(), [f41, buildPhyPayload(DEVICE, beam(42), 42)]);
    expect(first).toEqual({ counts: [], seqs: [41, 42] });
    firstDb().close();

    // A fresh process: the dedup window is gone, the counter is not.
    const second = run(reopen(), [
      f41,
      buildPhyPayload(DEVICE, beam(42), 42),
      buildPhyPayload(DEVICE, beam(43), 43),
    ]);
    expect(second).toEqual({ counts: ['replay', 'replay'], seqs: [43] });
  });

  it('accumulates forwarder stats per gateway', () => {
    const s = reopen();
    s.recordStat('aa555a0000000101', { rxnb: 3, txnb: 1, rxok: 3 }, 10);
    s.recordStat('aa555a0000000101', { rxnb: 2, txnb: 'x' }, 20);
    // A broken forwarder's absurd counts add nothing instead of overflowing the column (R3).
    s.recordStat('aa555a0000000101', { rxnb: 1e19, txnb: 2 ** 53 }, 20);
    s.recordStat('0000000000000001', {}, 30);
    firstDb().close();
    expect(reopen().stats()).toEqual([
      { gatewayEui: '0000000000000001', rxPackets: 0, txPackets: 0, lastStat: {}, lastSeen: 30 },
      {
        gatewayEui: 'aa555a0000000101',
        rxPackets: 5,
        txPackets: 1,
        lastStat: { rxnb: 1e19, txnb: 2 ** 53 },
        lastSeen: 20,
      },
    ]);
  });

  it('keeps only the numeric stat fields and a bounded number of recent forwarders', () => {
    const s = reopen();
    const junk = { desc: 'x'.repeat(60_000), nested: { a: [1, 2, 3] }, time: '2026-12-01 07:00:00 GMT' };
    const t0 = 1_763_892_000_000;
    for (let i = 0; i < 500; i++) {
      const eui = i.toString(16).padStart(16, '0');
      s.recordStat(
        eui,
        { ...junk, rxnb: 1, rxok: 1, ackr: 100.0, lati: -5.02, long: 'east', temp: Number.NaN },
        t0 + i,
      );
    }
    const rows = reopen().stats();
    expect(rows).toHaveLength(MAX_STAT_ROWS);
    // The most recently heard are kept.
    expect(rows.map((r) => r.lastSeen).sort()).toEqual(
      Array.from({ length: MAX_STAT_ROWS }, (_, i) => t0 + 500 - MAX_STAT_ROWS + i),
    );
    expect(rows[0]?.lastStat).toEqual({ rxnb: 1, rxok: 1, ackr: 100, lati: -5.02 });
    const n = firstDb().prepare('SELECT count(*) FROM gwmp_stats').pluck().get() as number;
    expect(n).toBe(MAX_STAT_ROWS);
    const bytes = firstDb().prepare('SELECT sum(length(last_stat)) FROM gwmp_stats').pluck().get() as number;
    expect(bytes).toBeLessThan(MAX_STAT_ROWS * 200);
    // A forwarder silent for longer than the retention loses its row at the next report of another.
    s.recordStat('aaaaaaaaaaaaaaaa', { rxnb: 1 }, t0 + 500 + STAT_RETENTION_MS);
    expect(
      reopen()
        .stats()
        .map((r) => r.gatewayEui),
    ).toEqual(['aaaaaaaaaaaaaaaa']);
  });

  it('keeps the counter in memory when the disk refuses the write', () => {
    reopen().set('260b0001', 5, 1);
    const db = openDb(path, { readonly: true });
    open.push(db);
    const s = new LoraStateStore(db);
    let err: unknown;
    try {
      s.set('260b0001', 6, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).diskFull).toBe(true);
    expect(s.get('260b0001')).toBe(6);
  });

  it('keeps an FCnt pending through a failed commit, so a restart still refuses the replay of that frame', () => {
    const clock = new ManualClock(1_763_892_000_000);
    const gw = 'aa555a0000000101';
    const session = (db: Db) => {
      const participants: ConstructorParameters<typeof StoreWriter>[0]['participants'] = [];
      const writer = new StoreWriter({
        db,
        log: silentLog,
        // Only this test flushes: no timer may retry behind its back.
        options: { maxRows: 1000, maxDelayMs: 600_000, retryMs: 600_000 },
        participants,
      });
      const store = new LoraStateStore(db, writer);
      // The disk fills between the FCnt rows and COMMIT, as SQLITE_FULL does on a real card.
      let refuseOnce = false;
      participants.push(store, {
        writeDirty() {
          if (!refuseOnce) return;
          refuseOnce = false;
          throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
        },
      });
      const counts: string[] = [];
      const h = new LoraUplinkHandler({
        devices: [DEVICE],
        dedupS: 10,
        fcnt: store,
        clock,
        onFrame: (f) =>
          writer.addReading({
            id: `r-${f.seq}-${counts.length}`,
            ts: clock.now(),
            via: 'lora',
            clockOk: true,
            ...f,
          }),
        count: (r) => counts.push(r),
      });
      const send = (phy: Buffer) =>
        h.handlePush(gw, {
          rxpk: [{ freq: 922, datr: 'SF12BW125', rssi: -110, lsnr: -12.5, data: phy.toString('base64') }],
        });
      return { writer, counts, send, failNextCommit: () => (refuseOnce = true) };
    };
    const stored = (db: Db) =>
      db.prepare("SELECT seq FROM readings WHERE node = 'beam-11' ORDER BY seq").pluck().all() as number[];

    const db1 = openDb(path);
    open.push(db1);
    const a = session(db1);
    a.send(buildPhyPayload(DEVICE, beam(41), 41));
    expect(a.writer.flush()).toBe(true);
    a.failNextCommit();
    const f42 = buildPhyPayload(DEVICE, beam(42), 42);
    a.send(f42);
    expect(a.writer.flush()).toBe(false);
    expect(a.writer.storageFailing).toBe(true);
    // The disk has room again: the retry commits reading 42, and its counter with it.
    expect(a.writer.flush()).toBe(true);
    expect(stored(db1)).toEqual([41, 42]);
    a.writer.close();
    db1.close();

    // A restart: the dedup window and the FCnt cache are gone, only SQLite remembers.
    const db2 = openDb(path);
    open.push(db2);
    const b = session(db2);
    b.send(f42);
    b.send(buildPhyPayload(DEVICE, beam(43), 43));
    b.writer.flush();
    expect(b.counts).toEqual(['replay']);
    expect(stored(db2)).toEqual([41, 42, 43]);
    b.writer.close();
  });
});
