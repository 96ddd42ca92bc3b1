import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { UplinkConfig } from '../../src/config/schema.js';
import type { Reading } from '../../src/domain/index.js';
import { OutboxDrain } from '../../src/uplink/drain.js';
import { HOLD_MS } from '../../src/uplink/live-hold.js';
import { LiveReadings, storedRow, withoutLiveRows } from '../../src/uplink/live-readings.js';
import { readingJson } from '../../src/uplink/payloads.js';
import { uplinkTopics } from '../../src/uplink/topics.js';
import { expectNoRepeatOnConnection, FakeLink, FakeOutbox } from '../fakes/drain-rig.js';

const GW = 'gw-test-01';
const topics = uplinkTopics(GW);

function config(maxInflight: number, maxReadings: number, maxDelayMs: number): UplinkConfig {
  return {
    url: 'mqtt://127.0.0.1:1',
    protocol_version: 4,
    keepalive_s: 60,
    batch: { max_readings: maxReadings, max_delay_ms: maxDelayMs, max_bytes: 256 * 1024 },
    max_inflight: maxInflight,
    live_readings: true,
    compress: 'none',
    stall_s: 60,
    backoff: { min_ms: 1000, max_ms: 60_000 },
  };
}

/**
 * The group-commit writer as the live path meets it: readings wait in memory, a commit gives them
 * consecutive rowids and queues those the centre has not acknowledged yet.
 */
class FakeWriter {
  pending: Reading[] = [];
  private readonly delivered = new Set<string>();
  private nextRid = 1;
  constructor(private readonly outbox: FakeOutbox) {}
  markDelivered(ids: string[]): void {
    for (const id of ids) this.delivered.add(id);
  }
  commit(): { readings: Reading[]; firstRid: number } {
    const readings = this.pending;
    const firstRid = this.nextRid;
    readings.forEach((r, k) => {
      if (!this.delivered.has(r.id)) this.outbox.queueReading(firstRid + k, readingJson(storedRow(r)));
    });
    this.nextRid += readings.length;
    this.pending = [];
    this.delivered.clear();
    return { readings, firstRid };
  }
}

let seq = 0;
function reading(): Reading {
  seq++;
  return {
    id: `r-${seq}`,
    node: 'pir-01',
    seq,
    type: 'pir',
    ts: seq,
    via: 'serial',
    v: { n: 1 },
    clockOk: true,
  };
}

function rig(maxInflight: number, maxReadings: number, maxDelayMs: number) {
  const outbox = new FakeOutbox();
  const link = new FakeLink(topics);
  const writer = new FakeWriter(outbox);
  const live = new LiveReadings(2 * maxReadings);
  const drain = new OutboxDrain({
    config: config(maxInflight, maxReadings, maxDelayMs),
    gatewayId: GW,
    villageCode: '18.07.11.2005',
    outbox: withoutLiveRows(outbox, live),
    clock: { now: () => 1_763_892_000_000 },
    topics,
    link,
    log: pino({ level: 'silent' }),
    live,
    onDelivered: (ids) => writer.markDelivered(ids),
  });
  const arrive = (): string => {
    const r = reading();
    writer.pending.push(r);
    drain.offer(r);
    return r.id;
  };
  const commit = () => {
    const { readings, firstRid } = writer.commit();
    drain.committed(readings, firstRid);
    drain.wake();
  };
  return { outbox, link, drain, writer, arrive, commit };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('readings published before their commit (uplink.live_readings)', () => {
  it('a reading reaches the centre before its commit, and the commit does not queue it again', async () => {
    const { outbox, link, drain, arrive, commit } = rig(4, 200, 1000);
    const id = arrive();
    await turn();
    expect(link.published.map((p) => p.ids)).toEqual([[id]]);
    link.published[0]?.ack();
    commit();
    await turn();
    expect(outbox.queued.readings.size).toBe(0);
    expect(link.published).toHaveLength(1);
    drain.clearTimers();
  });

  it('committed while its PUBACK is awaited: the drain leaves its row alone and the PUBACK deletes it', async () => {
    const { outbox, link, drain, arrive, commit } = rig(4, 200, 1000);
    const id = arrive();
    await turn();
    commit();
    await turn();
    // Long past the batch linger: the drain would send any row it could see.
    link.now += 5000;
    drain.pump();
    expect(outbox.queued.readings.size).toBe(1);
    expect(link.published.map((p) => p.ids)).toEqual([[id]]);
    link.published[0]?.ack();
    await turn();
    expect(outbox.queued.readings.size).toBe(0);
    expect(link.published).toHaveLength(1);
    drain.clearTimers();
  });

  it('the connection lost before the PUBACK: the reading goes again from the outbox once committed', async () => {
    const { outbox, link, drain, arrive, commit } = rig(4, 200, 1000);
    const id = arrive();
    await turn();
    link.drop();
    drain.reset();
    commit();
    await turn();
    drain.pump();
    expect(link.published.map((p) => [p.gen, p.ids])).toEqual([
      [1, [id]],
      [2, [id]],
    ]);
    link.published[1]?.ack();
    await turn();
    drain.pump();
    expect(outbox.queued.readings.size).toBe(0);
    drain.clearTimers();
  });

  it('while the link is down nothing is taken live; the outbox carries it', async () => {
    const { outbox, link, drain, arrive, commit } = rig(4, 200, 1000);
    link.up = false;
    const id = arrive();
    commit();
    link.up = true;
    drain.pump();
    expect(link.published.map((p) => p.ids)).toEqual([[id]]);
    link.published[0]?.ack();
    await turn();
    drain.pump();
    expect(outbox.queued.readings.size).toBe(0);
    drain.clearTimers();
  });

  it('readings arriving fast go in fewer, larger messages, none held longer than the hold; a quiet pace is not held', async () => {
    const { link, drain, arrive } = rig(4, 200, 1000);
    // 1,000 readings a second, one every millisecond, each PUBACKed at once (a LAN).
    const fast: string[] = [];
    for (let i = 0; i < 200; i++) {
      fast.push(arrive());
      link.now += 1;
      drain.pump();
      for (const p of [...link.outstanding]) p.ack();
      await turn();
    }
    link.now += HOLD_MS;
    drain.pump();
    expect(link.published.flatMap((p) => p.ids)).toEqual(fast);
    expect(link.published.length).toBeLessThan(fast.length / 1.5);
    for (const p of [...link.outstanding]) p.ack();
    await turn();
    // Then a reading every 200 ms: each goes the moment it comes.
    for (let i = 0; i < 40; i++) {
      link.now += 200;
      const before = link.published.length;
      const id = arrive();
      await turn();
      if (i >= 10) expect(link.published.slice(before).map((p) => p.ids)).toEqual([[id]]);
      for (const p of [...link.outstanding]) p.ack();
      await turn();
    }
    drain.clearTimers();
  });

  it('once the outbox was found empty, live readings and their PUBACKs do not read it again; a commit does', async () => {
    const { outbox, link, drain, arrive, commit } = rig(4, 200, 1000);
    let reads = 0;
    const { nextEvents, nextReadingsJson } = outbox;
    outbox.nextEvents = (...a) => {
      reads++;
      return nextEvents.apply(outbox, a);
    };
    outbox.nextReadingsJson = (...a) => {
      reads++;
      return nextReadingsJson.apply(outbox, a);
    };
    drain.pump();
    const atStart = reads;
    for (let i = 0; i < 50; i++) {
      arrive();
      link.now += 0.1;
      await turn();
      for (const p of [...link.outstanding]) p.ack();
      await turn();
    }
    expect(reads).toBe(atStart);
    // A reading the live path could not take is committed and queued: the commit's wake reads it.
    link.up = false;
    const late = arrive();
    link.up = true;
    commit();
    await turn();
    expect(reads).toBeGreaterThan(atStart);
    link.now += HOLD_MS;
    drain.pump();
    expect(link.published.flatMap((p) => p.ids)).toContain(late);
    drain.clearTimers();
  });

  it('a row queued without a wake is still found within a second', async () => {
    const { outbox, link, drain, arrive } = rig(4, 200, 1000);
    drain.pump();
    const id = outbox.addReading();
    arrive();
    await turn();
    expect(link.published.flatMap((p) => p.ids)).not.toContain(id);
    for (const p of [...link.outstanding]) p.ack();
    link.now += 1000;
    arrive();
    await turn();
    for (const p of [...link.outstanding]) p.ack();
    await turn();
    expect(link.published.flatMap((p) => p.ids)).toContain(id);
    drain.clearTimers();
  });

  const ops = fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('arrive' as const), n: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ op: fc.constant('commit' as const) }),
      fc.record({ op: fc.constant('ack' as const), pick: fc.nat(50) }),
      fc.record({ op: fc.constant('ack' as const), pick: fc.nat(50) }),
      fc.record({ op: fc.constant('time' as const), ms: fc.nat(2000) }),
      fc.record({ op: fc.constant('down' as const) }),
      fc.record({ op: fc.constant('drop' as const) }),
    ),
    { maxLength: 50 },
  );

  it('property: no reading twice on one connection, none twice at all without a lost connection, every one delivered and its row gone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 25 }),
        fc.nat(1500),
        ops,
        async (maxInflight, maxReadings, maxDelayMs, script) => {
          const { outbox, link, drain, writer, arrive, commit } = rig(maxInflight, maxReadings, maxDelayMs);
          const check = () => {
            expect(drain.inflight).toBeLessThanOrEqual(maxInflight);
            expectNoRepeatOnConnection(link);
          };
          const expected = new Set<string>();
          let drops = 0;
          for (const s of script) {
            if (s.op === 'arrive') for (let i = 0; i < s.n; i++) expected.add(arrive());
            else if (s.op === 'commit') commit();
            else if (s.op === 'ack')
              [...link.outstanding][s.pick % Math.max(1, link.outstanding.size)]?.ack();
            else if (s.op === 'time') link.now += s.ms;
            else {
              drops++;
              link.drop();
              drain.reset();
              // A link that is down a while: readings arriving now are not taken live.
              if (s.op === 'down') link.up = false;
            }
            drain.pump();
            check();
            await turn();
            check();
            if (s.op === 'down') link.up = true;
          }
          // Then everything is committed, the link stays up and every publish is PUBACKed.
          if (writer.pending.length > 0) commit();
          for (
            let i = 0;
            i < 10_000 && (link.outstanding.size > 0 || outbox.pending > 0 || drain.liveQueued > 0);
            i++
          ) {
            for (const p of [...link.outstanding]) p.ack();
            // At least a live hold's length: fast arrivals may hold a batch that long for company.
            link.now += Math.max(maxDelayMs, HOLD_MS);
            await turn();
            drain.pump();
            check();
          }
          drain.clearTimers();
          expect(outbox.queued.readings.size).toBe(0);
          const sent = link.published.flatMap((p) => p.ids);
          for (const id of expected) expect(sent).toContain(id);
          if (drops === 0) expect(sent).toHaveLength(new Set(sent).size);
        },
      ),
      { numRuns: 200 },
    );
  });
});
