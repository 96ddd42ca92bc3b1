import type { RemoteInfo } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGwmp, encodePushData } from '../../drivers/gwmp/packet.js';
import { GWMP_REASONS, GwmpServer } from '../../drivers/gwmp/server.js';
import { parseLine } from '../../src/codecs/line.js';
import { LineSplitter } from '../../src/codecs/line-splitter.js';
import { LORA_UPLINK_REASONS, LoraUplinkHandler } from '../../src/codecs/lora-uplink.js';
import { LINE_REASONS, SERIAL_REASONS } from '../../src/codecs/reasons.js';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import type { Config } from '../../src/config/schema.js';
import { DetectionEngine } from '../../src/detect/engine.js';
import type { Frame, Parsed } from '../../src/domain/index.js';
import { ManualClock, SimulatorError } from '../../src/domain/index.js';
import { Counters } from '../../src/gateway/counters.js';
import { buildPhyPayload, buildUplinkDatagram } from '../../src/sim/lora.js';
import { LoraStateStore } from '../../src/store/lora-state.js';
import { FUZZ_DEVICES as DEVICES, FUZZ_EUI as EUI } from '../fixtures/lora-devices.js';
import { silentLog, testConfig } from '../helpers/gateway.js';
import { ingestRig } from '../helpers/ingest-rig.js';
import {
  byteEdit,
  junkField,
  junkRxpk,
  mutate,
  pushDataWith,
  randomDatagram,
} from '../helpers/lora-arbitraries.js';
import { must } from '../helpers/must.js';

// R3 (docs/quality.md): 1,000,000 random and mutated inputs through the real parsing paths — SG1/JSON
// lines (parseLine, LineSplitter), GWMP datagrams (GwmpServer's message handler → LoRaWAN
// checks → ingest) and local-broker node payloads (Ingest.acceptLine, as main.ts wires it, into
// an in-memory SQLite store and the detection engine). No throw, no unhandled rejection, and
// every refused input is counted exactly once with a reason from the published lists.

const KNOWN_LINE = new Set<string>(LINE_REASONS);
const KNOWN_SERIAL = new Set<string>(SERIAL_REASONS);
const KNOWN_GWMP = new Set<string>(GWMP_REASONS);
const KNOWN_LORA = new Set<string>(LORA_UPLINK_REASONS);
/** Listed, but it means a consumer of ours threw: never acceptable for any input. */
const OUR_FAULT = 'handler_error';

const T0 = Date.UTC(2026, 11, 1, 20, 0, 0);
const TOTAL = 1_000_000;
let inputs = 0;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const NODES = ['pir-07', 'seis-03', 'cam-02', 'btn-pos1', 'fence-01'];

const EXAMPLES: Frame[] = [
  { node: 'pir-07', seq: 1234, type: 'pir', v: { n: 3, bat: 3.71 } },
  { node: 'cam-02', seq: 88, type: 'cam', v: { label: 'elephant', conf: 0.91, bat: 3.9 } },
  { node: 'fence-01', seq: 5, type: 'fence', v: { kv: 2.1, bat: 12.6 } },
  { node: 'btn-pos1', seq: 17, type: 'btn', v: { p: 1 } },
  { node: 'seis-03', seq: 402, type: 'seis', v: { pgv: 0.82, f: 8.5 } },
  { node: 'beam-11', seq: 77, type: 'beam', v: { cut: 1, bat: 3.6 } },
  { node: 'pir-07', seq: 1235, type: 'hb', v: { bat: 3.7, rssi: -71 } },
  { node: 'col-ek1', seq: 9, type: 'gps', v: { lat: -5.0201, lon: 105.7601, hdop: 1.2, bat: 3.95 } },
];

// ---- arbitraries -------------------------------------------------------------------------

/** One char per byte, as LineSplitter decodes lines (latin1). */
const byteChar = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const latin1 = (maxLength: number) => fc.string({ unit: byteChar, maxLength });
/** Printable-heavy strings: more of them get past the first checks. */
const asciiish = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...'$SG1,*=.-{}":0123456789abcdefnpqtv ') },
      { weight: 2, arbitrary: byteChar },
    ),
    maxLength,
  });

/** A valid line (SG1 or JSON) from a configured node most of the time. */
const validLine = fc
  .record({
    base: fc.constantFrom(...EXAMPLES),
    node: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...NODES) },
      { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/) },
    ),
    seq: fc.oneof(fc.integer({ min: 0, max: 4294967295 }), fc.integer({ min: 0, max: 3000 })),
    json: fc.boolean(),
    ts: fc.option(fc.integer({ min: 0, max: T0 + 86_400_000 }), { nil: undefined }),
  })
  .map(({ base, node, seq, json, ts }) =>
    json
      ? JSON.stringify({ node, seq, type: base.type, ...(ts !== undefined && { ts }), ...base.v })
      : encodeSg1({ node, seq, type: base.type, v: base.v }),
  );

/** A valid line with 1–4 byte edits: flip, set, insert, delete, or a field swapped for junk. */
const mutatedLine = fc
  .tuple(
    validLine,
    fc.array(
      fc.record({
        op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'splice'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        junk: asciiish(12),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([line, edits]) => {
    let s = line;
    for (const { op, at, byte, junk } of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      const c = String.fromCharCode(byte);
      if (op === 'flip')
        s =
          s.slice(0, i) + String.fromCharCode((s.charCodeAt(i) ^ (1 << (byte & 7))) & 0xff) + s.slice(i + 1);
      else if (op === 'set') s = s.slice(0, i) + c + s.slice(i + 1);
      else if (op === 'insert') s = s.slice(0, i) + c + s.slice(i);
      else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
      else s = s.slice(0, i) + junk + s.slice(i + (byte % 8));
    }
    return s;
  });

const anyLine = fc.oneof(
  { weight: 3, arbitrary: mutatedLine },
  { weight: 1, arbitrary: validLine },
  { weight: 2, arbitrary: latin1(80) },
  { weight: 2, arbitrary: asciiish(120) },
  { weight: 1, arbitrary: latin1(400) },
);

// ---- harnesses ---------------------------------------------------------------------------

/** Counters that remember each call, so one input's outcome is exactly one count. */
class SpyCounters extends Counters {
  calls: [string, string][] = [];
  override count(scope: string, name: string, by = 1): void {
    // `ingest` is counted when the commit lands (a batch at a time), not per input.
    if (scope !== 'ingest') this.calls.push([scope, name]);
    super.count(scope, name, by);
  }
}

/** The gateway's ingest pipeline as main.ts wires it, on an in-memory SQLite store. */
function pipeline(config: Config) {
  const clock = new ManualClock(T0);
  const counters = new SpyCounters();
  let storageFailure: string | undefined;
  const engine = new DetectionEngine({ config, clock });
  const { db, writer, ingest } = ingestRig({
    config,
    dbPath: ':memory:',
    clock,
    counters,
    writer: { maxRows: 500, maxDelayMs: 5 },
    onStorageState: (failing, error) => {
      if (failing) storageFailure = error;
    },
    onReading: (r) => {
      engine.onReading(r);
    },
  });
  const close = () => {
    expect(writer.flush(), `storage: ${storageFailure}`).toBe(true);
    expect(storageFailure).toBeUndefined();
    writer.close();
    db.close();
  };
  return { clock, db, counters, writer, ingest, engine, close };
}

/** Exactly one count per input: `ingest/<via>` when accepted, `<via>/<listed reason>` when not. */
function expectOneOutcome(counters: SpyCounters, via: string, r: Parsed<unknown>, known: Set<string>): void {
  const calls = counters.calls;
  counters.calls = [];
  if (r.ok) {
    // Accepted: no rejection counted (a node clock clamped to the gateway's time is counted apart).
    expect(calls.filter(([scope]) => scope !== 'ts_clamped')).toEqual([]);
  } else {
    expect(known.has(r.reason), `unlisted reason ${r.reason}`).toBe(true);
    expect(calls).toEqual([[via, r.reason]]);
  }
}

describe('R3 fuzz: 1,000,000 random and mutated inputs', () => {
  let dir: string;
  let config: Config;

  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    dir = mkdtempSync(join(tmpdir(), 'siaga-r3-'));
    config = testConfig(`lora: {devices: ${JSON.stringify(DEVICES)}}\nlocal_broker: {enabled: false}`, dir);
  });

  afterAll(async () => {
    // Give any stray promise a turn to reject before judging.
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    rmSync(dir, { recursive: true, force: true });
    expect(unhandled).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(TOTAL);
  });

  it('SG1/JSON lines through parseLine: 300,000', () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        inputs++;
        const r = parseLine(line);
        if (!r.ok) expect(KNOWN_LINE.has(r.reason), `unlisted reason ${r.reason}`).toBe(true);
      }),
      { numRuns: 300_000 },
    );
  }, 180_000);

  it('serial byte streams through LineSplitter + parseLine: 100,000 streams', () => {
    const stream = fc.tuple(
      fc.array(
        fc.oneof(
          { weight: 4, arbitrary: fc.tuple(anyLine, fc.constantFrom('\n', '\r\n')).map(([l, e]) => l + e) },
          { weight: 1, arbitrary: latin1(600) },
          { weight: 1, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\n\n') },
        ),
        { maxLength: 8 },
      ),
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(stream, ([parts, cuts]) => {
        inputs++;
        const bytes = Buffer.from(parts.join(''), 'latin1');
        const sp = new LineSplitter(256);
        let lines = 0;
        let tooLong = 0;
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const n = must(cuts[i % cuts.length], 'a cut length');
          const out = sp.push(bytes.subarray(at, at + n));
          at += n;
          tooLong += out.tooLong;
          expect(sp.pendingBytes).toBeLessThanOrEqual(257);
          for (const line of out.lines) {
            lines++;
            expect(Buffer.byteLength(line, 'latin1')).toBeLessThanOrEqual(256);
            const r = parseLine(line);
            if (!r.ok) expect(KNOWN_LINE.has(r.reason), `unlisted reason ${r.reason}`).toBe(true);
          }
        }
        // Every completed line is either handed on or counted as too long (an over-long
        // unfinished tail may be counted before its \n arrives).
        const newlines = bytes.reduce((a, b) => a + (b === 0x0a ? 1 : 0), 0);
        expect(lines + tooLong).toBeGreaterThanOrEqual(newlines);
        expect(lines + tooLong).toBeLessThanOrEqual(newlines + 1);
      }),
      { numRuns: 100_000 },
    );
  }, 180_000);

  /** The LoRa path as main.ts wires it, fed through GwmpServer's message handler. */
  const gwmpHarness = () => {
    const p = pipeline(config);
    const fcnt = new LoraStateStore(p.db);
    const gwmpCounts: string[] = [];
    const loraCounts: string[] = [];
    let frames = 0;
    const lora = new LoraUplinkHandler({
      devices: DEVICES,
      dedupS: 10,
      fcnt,
      clock: p.clock,
      log: silentLog,
      count: (r) => loraCounts.push(r),
      onFrame: (frame, meta) => {
        frames++;
        const r = p.ingest.acceptFrame(frame, {
          via: 'lora',
          from: meta.gatewayEui,
          radio: meta.radio,
          seqChecked: true,
        });
        expectOneOutcome(p.counters, 'lora', r, KNOWN_SERIAL);
      },
    });
    const server = new GwmpServer({
      host: '127.0.0.1',
      port: 0,
      maxDatagramBytes: 65_535,
      clock: p.clock,
      log: silentLog,
      count: (r) => gwmpCounts.push(r),
      onPush: (eui, body, rxTs) => lora.handlePush(eui, body, rxTs),
      onStat: (eui, stat, ts) => fcnt.recordStat(eui, stat, ts),
    });
    // The socket handler itself (not bound: its replies go nowhere); private, so reached by cast.
    const onMessage = (msg: Buffer) =>
      (server as unknown as { onMessage(m: Buffer, r: RemoteInfo): void }).onMessage(msg, {
        address: '127.0.0.1',
        family: 'IPv4',
        port: 1700,
        size: msg.length,
      });

    const seeds: Buffer[] = [];
    const phys: Buffer[] = [];
    // Every example each device's codec can carry, at FCnts below and above 2^16.
    let fc32 = 0;
    for (let i = 0; seeds.length < 40; i++) {
      const base = must(EXAMPLES[i % EXAMPLES.length], 'an example frame');
      const d = must(DEVICES[i % DEVICES.length], 'a LoRa device');
      const frame = { ...base, node: d.node };
      fc32 += i % 7 === 0 ? 0x10000 : 1;
      try {
        seeds.push(buildUplinkDatagram(d, frame, fc32, { gatewayEui: EUI, token: i, tmst: i * 1000 }));
        phys.push(buildPhyPayload(d, frame, fc32));
      } catch (e) {
        if (!(e instanceof SimulatorError)) throw e;
      }
      if (i > 1000) throw new Error('no encodable seeds');
    }

    const run = (buf: Buffer) => {
      inputs++;
      p.clock.advance(7);
      gwmpCounts.length = 0;
      loraCounts.length = 0;
      frames = 0;
      const decoded = decodeGwmp(buf, 65_535);
      onMessage(buf);
      expect(p.counters.calls, 'ingest counted outside onFrame').toEqual([]);
      for (const r of gwmpCounts) expect(KNOWN_GWMP.has(r) && r !== OUR_FAULT, `gwmp reason ${r}`).toBe(true);
      for (const r of loraCounts) expect(KNOWN_LORA.has(r) && r !== OUR_FAULT, `lora reason ${r}`).toBe(true);
      // A forwarder beyond the few served (docs/wire.md §2 admission) is refused whole, counted once,
      // before its body is read.
      if (gwmpCounts.includes('unknown_gateway')) {
        expect(gwmpCounts).toEqual(['unknown_gateway']);
        expect(frames + loraCounts.length).toBe(0);
        return;
      }
      if (!decoded.ok) {
        expect(gwmpCounts).toEqual([decoded.reason]);
        return;
      }
      const rxpk = decoded.value.kind === 'push_data' ? decoded.value.body.rxpk : undefined;
      // Every rxpk has exactly one outcome: a frame or a counted reason.
      if (rxpk !== undefined && rxpk.length > 0) expect(frames + loraCounts.length).toBe(rxpk.length);
      else expect(frames + loraCounts.length).toBe(0);
    };

    const edit = byteEdit({ maxAt: 700, maxOp: 4 });
    const junk = fc.anything({ maxDepth: 2, maxKeys: 4 });
    const field = junkField(junk);

    // 1. Real uplinks (valid MIC, some fresh) with byte-level edits, or untouched.
    const byteMutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(edit, { maxLength: 4 }))
      .map(([s, e]) => mutate(s, e));
    // 2. Random datagrams with a plausible header.
    const random = randomDatagram({ versions: [1, 2, 2, 2, 2, 3], maxTail: 300 });
    // 3. Edited PHYPayloads inside well-formed rxpk.
    const phyMutated = fc
      .tuple(fc.constantFrom(...phys), fc.array(edit, { maxLength: 3 }), fc.integer({ min: 1, max: 3 }))
      .map(([phy, e, copies]) => pushDataWith(mutate(phy, e), { freq: 922.2, copies }));
    // 4. JSON-level junk in rxpk members (stat reports: their own test below).
    const jsonJunk = fc
      .tuple(fc.array(fc.oneof(junkRxpk(field, ['modu']), junk), { maxLength: 4 }), fc.boolean())
      .map(([rxpk, withRxpk]) => encodePushData(2, EUI, withRxpk ? { rxpk } : {}));
    // 6. Forwarder stat reports of every shape, with or without rxpk.
    const statJunk = fc
      .tuple(
        fc.oneof(
          junk,
          fc.record(
            {
              rxnb: fc.oneof(field, fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
              rxok: field,
              txnb: fc.oneof(field, fc.nat()),
              time: field,
            },
            { requiredKeys: [] },
          ),
        ),
        fc.option(fc.constantFrom(...seeds), { nil: undefined }),
      )
      .map(([stat, seed]) => {
        const body = seed ? (JSON.parse(seed.subarray(12).toString('utf8')) as Record<string, unknown>) : {};
        return encodePushData(4, EUI, { ...body, stat: stat as Record<string, unknown> });
      });
    // 5. Real uplinks whose JSON has one field replaced by junk.
    const fieldSwapped = fc
      .tuple(
        fc.constantFrom(...seeds),
        fc.constantFrom('data', 'rssi', 'lsnr', 'freq', 'datr', 'size', 'stat'),
        field,
      )
      .map(([seed, key, value]) => {
        const body = JSON.parse(seed.subarray(12).toString('utf8')) as { rxpk: Record<string, unknown>[] };
        must(body.rxpk[0], 'the seed rxpk')[key] = value;
        return encodePushData(3, EUI, body);
      });

    return { p, run, byteMutated, random, phyMutated, jsonJunk, fieldSwapped, statJunk };
  };

  it('GWMP datagrams through the server handler, LoRaWAN checks and ingest: 240,000', () => {
    const h = gwmpHarness();
    fc.assert(fc.property(h.byteMutated, h.run), { numRuns: 90_000 });
    fc.assert(fc.property(h.random, h.run), { numRuns: 50_000 });
    fc.assert(fc.property(h.phyMutated, h.run), { numRuns: 40_000 });
    fc.assert(fc.property(h.jsonJunk, h.run), { numRuns: 30_000 });
    fc.assert(fc.property(h.fieldSwapped, h.run), { numRuns: 30_000 });
    h.p.close();
  }, 240_000);

  // A stat report is the forwarder's, not ours to trust: whatever its counts, storing it must not
  // fail (that is counted as handler_error, "a consumer of ours threw", and logged as an error).
  it('GWMP stat reports of any shape: 20,000', () => {
    const h = gwmpHarness();
    fc.assert(fc.property(h.statJunk, h.run), { numRuns: 20_000 });
    h.p.close();
  }, 120_000);

  it('local-broker node payloads through Ingest.acceptLine into SQLite: 340,000', () => {
    const p = pipeline(config);
    const topicNode = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...NODES) },
      { weight: 1, arbitrary: fc.constantFrom('pir-99', 'x') },
    );
    const payload = fc.oneof(
      { weight: 80, arbitrary: anyLine.map((s) => Buffer.from(s, 'latin1')) },
      {
        weight: 20,
        arbitrary: fc
          .tuple(validLine, fc.constantFrom('\n', '\r\n', '\r', '\n\n'))
          .map(([l, e]) => Buffer.from(l + e)),
      },
      { weight: 20, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
      {
        weight: 20,
        arbitrary: fc.string({ unit: 'grapheme', maxLength: 120 }).map((s) => Buffer.from(s, 'utf8')),
      },
      { weight: 1, arbitrary: fc.integer({ min: 257, max: 16_384 }).map((n) => Buffer.alloc(n, 0x7b)) },
    );
    let accepted = 0;
    fc.assert(
      fc.property(topicNode, payload, fc.boolean(), (node, bytes, sameNode) => {
        inputs++;
        p.clock.advance(11);
        let buf = bytes;
        if (sameNode) {
          // Most real payloads come from the node the topic names: rewrite the node field.
          const s = bytes.toString('latin1').replace(/^(\$SG1,)[^,]*/, `$1${node}`);
          buf = Buffer.from(s.replace(/"node":"[^"]*"/, `"node":"${node}"`), 'latin1');
        }
        // Exactly what main.ts does with a node payload from the local broker.
        const line = buf.toString('latin1').replace(/\r?\n$/, '');
        const r = p.ingest.acceptLine(line, { via: 'mqtt', from: `mqtt:${node}`, expectNode: node });
        expectOneOutcome(p.counters, 'mqtt', r, KNOWN_SERIAL);
        if (r.ok) {
          accepted++;
          expect(r.value.node).toBe(node);
        }
      }),
      { numRuns: 340_000 },
    );
    // The accepted ones really reached SQLite (and an outbox row each).
    p.writer.flush();
    const stored = p.db.prepare('SELECT count(*) FROM readings').pluck().get() as number;
    const outbox = p.db.prepare('SELECT count(*) FROM outbox_readings').pluck().get() as number;
    expect({ stored, outbox }).toEqual({ stored: accepted, outbox: accepted });
    expect(accepted).toBeGreaterThan(1000);
    p.close();
  }, 240_000);
});
