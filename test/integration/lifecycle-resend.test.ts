import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, testConfig } from '../helpers/gateway.js';
import { insertReadings, mixReadings } from '../helpers/outbox-fixtures.js';

const quiet = () =>
  new Writable({
    write: (_c, _e, cb) => cb(),
  });

let gw: Gateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

function queuedRids(g: Gateway): number[] {
  return (g.db.prepare('SELECT rid FROM outbox_readings ORDER BY rid').all() as { rid: number }[]).map(
    (r) => r.rid,
  );
}

describe('readings.resend (issue 11 item 6)', () => {
  it('re-queues a large range in chunks, letting the event loop run between them', async () => {
    gw = await startGateway({ config: testConfig(), log: silentLog, noControl: true, sirenOut: quiet() });
    const t0 = 1_763_892_000_000;
    // 60k stored readings, none queued (already delivered); mixReadings spaces them 50 ms apart.
    insertReadings(gw.db, mixReadings(60_000, t0), false);
    const from = t0 + 10_000 * 50;
    const to = t0 + 49_999 * 50;

    // Other work (ingest, sirens, the watchdog keepalive) must get turns while it runs.
    let turns = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const queued = await gw.services.resend(from, to);
    done = true;

    expect(queued).toBe(40_000);
    expect(turns).toBeGreaterThanOrEqual(5);
    // Exactly the rows in range, with their ids unchanged (the outbox points at the same rows).
    const rids = queuedRids(gw);
    const inRange = (
      gw.db.prepare('SELECT rid FROM readings WHERE ts >= ? AND ts <= ? ORDER BY rid').all(from, to) as {
        rid: number;
      }[]
    ).map((r) => r.rid);
    expect(rids).toEqual(inRange);
    // Asking again queues nothing twice.
    expect(await gw.services.resend(from, to)).toBe(0);
    expect(gw.outbox.backlog().readings).toBe(40_000);
  });

  it('an empty database or an empty range queues nothing', async () => {
    gw = await startGateway({ config: testConfig(), log: silentLog, noControl: true, sirenOut: quiet() });
    expect(await gw.services.resend(0, Date.now())).toBe(0);
    insertReadings(gw.db, mixReadings(10, 1_000_000), false);
    expect(await gw.services.resend(5_000_000, 6_000_000)).toBe(0);
    expect(await gw.services.resend(0, 5_000_000)).toBe(10);
  });
});
