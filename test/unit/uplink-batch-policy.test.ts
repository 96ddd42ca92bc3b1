import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { UplinkConfig } from '../../src/config/schema.js';
import { batchDecision } from '../../src/uplink/batch-policy.js';
import { OutboxDrain } from '../../src/uplink/drain.js';
import { uplinkTopics } from '../../src/uplink/topics.js';
import { expectNoRepeatOnConnection, FakeLink, FakeOutbox } from '../fakes/drain-rig.js';

const base = {
  inflight: 0,
  queued: 1,
  waitedMs: 0,
  maxInflight: 4,
  maxReadings: 200,
  maxDelayMs: 1000,
  flushing: false,
};

describe('batch policy (Nagle-style)', () => {
  it('an idle link sends a single reading at once, however long the configured linger', () => {
    expect(batchDecision({ ...base, queued: 1, inflight: 0, maxDelayMs: 60_000 })).toEqual({
      action: 'send',
    });
  });

  it('nothing queued: idle, whatever is in flight', () => {
    expect(batchDecision({ ...base, queued: 0, inflight: 2 })).toEqual({ action: 'idle' });
  });

  it('while publishes are in flight a partial batch waits for a PUBACK, at most max_delay_ms', () => {
    expect(batchDecision({ ...base, queued: 5, inflight: 1, waitedMs: 300 })).toEqual({
      action: 'wait',
      retryMs: 700,
    });
    expect(batchDecision({ ...base, queued: 5, inflight: 1, waitedMs: 1000 })).toEqual({ action: 'send' });
  });

  it('a full batch takes a free slot at once; no slot free means waiting without a timer', () => {
    expect(batchDecision({ ...base, queued: 200, inflight: 3 })).toEqual({ action: 'send' });
    expect(batchDecision({ ...base, queued: 200, inflight: 4 })).toEqual({ action: 'wait' });
    expect(batchDecision({ ...base, queued: 1, inflight: 4, waitedMs: 5000, flushing: true })).toEqual({
      action: 'wait',
    });
  });

  it('property: never sends past max_inflight, never idles with readings queued and nothing in flight', () => {
    fc.assert(
      fc.property(
        fc.record({
          inflight: fc.nat(70),
          queued: fc.nat(6000),
          waitedMs: fc.nat(120_000),
          maxInflight: fc.integer({ min: 1, max: 64 }),
          maxReadings: fc.integer({ min: 1, max: 5000 }),
          maxDelayMs: fc.nat(60_000),
          flushing: fc.boolean(),
        }),
        (p) => {
          const d = batchDecision(p);
          if (d.action === 'send') expect(p.inflight).toBeLessThan(p.maxInflight);
          if (p.queued > 0 && p.inflight === 0) expect(d.action).toBe('send');
          if (p.queued === 0) expect(d.action).toBe('idle');
          if (d.action === 'wait' && d.retryMs !== undefined) expect(d.retryMs).toBeGreaterThan(0);
        },
      ),
    );
  });
});

// ------------------------------------------------------------------ the drain with the policy

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

function rig(maxInflight: number, maxReadings: number, maxDelayMs: number) {
  const outbox = new FakeOutbox();
  const link = new FakeLink(topics);
  const drain = new OutboxDrain({
    config: config(maxInflight, maxReadings, maxDelayMs),
    gatewayId: GW,
    villageCode: '18.07.11.2005',
    outbox,
    clock: { now: () => 1_763_892_000_000 },
    topics,
    link,
    log: pino({ level: 'silent' }),
  });
  return { outbox, link, drain };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('outbox drain with the batch policy', () => {
  it('an idle link publishes a single reading at once, even with a 60 s linger configured', () => {
    const { outbox, link, drain } = rig(4, 200, 60_000);
    const id = outbox.addReading();
    drain.pump();
    expect(link.published.map((p) => p.ids)).toEqual([[id]]);
    drain.clearTimers();
  });

  it('readings that come while a batch is in flight go together on its PUBACK', async () => {
    const { outbox, link, drain } = rig(4, 200, 60_000);
    outbox.addReading();
    drain.pump();
    const later = [outbox.addReading(), outbox.addReading(), outbox.addReading()];
    drain.pump();
    expect(link.published).toHaveLength(1);
    link.published[0]?.ack();
    await turn();
    expect(link.published.map((p) => p.ids)).toEqual([[expect.any(String)], later]);
    drain.clearTimers();
  });

  it('a readings backlog drains without asking for events at every PUBACK, and an event committed meanwhile still goes next', async () => {
    const { outbox, link, drain } = rig(4, 200, 60_000);
    for (let i = 0; i < 4_000; i++) outbox.addReading();
    let eventReads = 0;
    const nextEvents = outbox.nextEvents.bind(outbox);
    outbox.nextEvents = (limit, after) => {
      eventReads++;
      return nextEvents(limit, after);
    };
    drain.pump();
    const ackOne = async () => {
      link.published.find((p) => link.outstanding.has(p))?.ack();
      await turn();
    };
    for (let i = 0; i < 8; i++) await ackOne();
    // Found empty once, in this generation of the outbox: not asked again while only PUBACKs came.
    expect(eventReads).toBe(1);
    const event = outbox.addEvent();
    drain.wake();
    await ackOne();
    const kinds = link.published.map((p) => p.kind);
    const eventAt = link.published.findIndex((p) => p.ids[0] === event);
    expect(eventAt).toBeGreaterThan(0);
    expect(kinds.slice(eventAt + 1).every((k) => k === 'readings')).toBe(true);
    expect(kinds.slice(0, eventAt).every((k) => k === 'readings')).toBe(true);
    expect(eventReads).toBeGreaterThan(1);
    while (link.outstanding.size > 0) await ackOne();
    expect(outbox.pending).toBe(0);
    drain.clearTimers();
  });

  const ops = fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('readings' as const), n: fc.integer({ min: 1, max: 30 }) }),
      fc.record({ op: fc.constant('event' as const) }),
      fc.record({ op: fc.constant('ack' as const), pick: fc.nat(50) }),
      fc.record({ op: fc.constant('ack' as const), pick: fc.nat(50) }),
      fc.record({ op: fc.constant('time' as const), ms: fc.nat(2000) }),
      fc.record({ op: fc.constant('drop' as const) }),
      // The backlog packed as during an outage: the drain takes packs whole, the rest one by one.
      fc.record({ op: fc.constant('pack' as const), size: fc.integer({ min: 1, max: 30 }) }),
    ),
    { maxLength: 40 },
  );

  it('property: ≤ max_inflight in flight, no row twice in one connection, events first, all delivered, packed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 25 }),
        fc.nat(1500),
        ops,
        async (maxInflight, maxReadings, maxDelayMs, script) => {
          const { outbox, link, drain } = rig(maxInflight, maxReadings, maxDelayMs);
          const check = () => {
            expect(drain.inflight).toBeLessThanOrEqual(maxInflight);
            const batches = [...link.outstanding].filter((p) => p.kind === 'readings');
            expect(batches.length).toBeLessThanOrEqual(maxInflight);
            expectNoRepeatOnConnection(link);
          };
          // Events first: a readings batch never goes while an event waits unpublished.
          link.onPublish = (kind) => {
            if (kind !== 'readings') return;
            const sentEvents = new Set(
              link.published.filter((p) => p.gen === link.gen && p.kind === 'events').flatMap((p) => p.ids),
            );
            for (const id of outbox.queued.events.values()) expect(sentEvents.has(id)).toBe(true);
          };
          const expected = new Set<string>();
          for (const s of script) {
            if (s.op === 'readings') for (let i = 0; i < s.n; i++) expected.add(outbox.addReading());
            else if (s.op === 'event') expected.add(outbox.addEvent());
            else if (s.op === 'ack')
              [...link.outstanding][s.pick % Math.max(1, link.outstanding.size)]?.ack();
            else if (s.op === 'time') link.now += s.ms;
            else if (s.op === 'pack') outbox.pack(s.size);
            else {
              link.drop();
              drain.reset();
            }
            drain.pump();
            check();
            await turn();
            check();
          }
          // Then the link stays up, every publish is PUBACKed and time passes: all is delivered.
          for (let i = 0; i < 10_000 && (link.outstanding.size > 0 || outbox.pending > 0); i++) {
            for (const p of [...link.outstanding]) p.ack();
            link.now += maxDelayMs;
            await turn();
            drain.pump();
            check();
          }
          drain.clearTimers();
          expect(outbox.queued.readings.size + outbox.queued.events.size).toBe(0);
          const delivered = new Set(link.published.flatMap((p) => p.ids));
          for (const id of expected) expect(delivered.has(id)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});
