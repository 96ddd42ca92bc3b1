import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { READING_TYPES, type Reading } from '../../src/domain/index.js';
import type { OutboxEventRow, OutboxReadingRow } from '../../src/store/outbox.js';
import { storedRow } from '../../src/uplink/live-readings.js';
import {
  deflatePayload,
  eventPayload,
  eventRowJson,
  inflatePayload,
  liveReadingJson,
  nodePayload,
  OFFLINE_STATUS,
  readingJson,
  readingsBatchJson,
  statusPayload,
} from '../../src/uplink/payloads.js';
import { uplinkTopics } from '../../src/uplink/topics.js';

const serialRow: OutboxReadingRow = {
  oid: 1,
  id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
  node: 'pir-07',
  seq: 1234,
  type: 'pir',
  ts: 1763892000123,
  via: 'serial',
  v: '{"n":3,"bat":3.71}',
  radio: null,
  clock_ok: 1,
};

describe('uplink topics', () => {
  it('builds every topic under siaga/v1/gw/<id>', () => {
    const t = uplinkTopics('gw-tnwk-01');
    expect(t).toMatchObject({
      status: 'siaga/v1/gw/gw-tnwk-01/status',
      readings: 'siaga/v1/gw/gw-tnwk-01/readings',
      readingsZ: 'siaga/v1/gw/gw-tnwk-01/readings/z',
      events: 'siaga/v1/gw/gw-tnwk-01/events',
      summary: 'siaga/v1/gw/gw-tnwk-01/summary',
      cmdReq: 'siaga/v1/gw/gw-tnwk-01/cmd/req',
      cmdRes: 'siaga/v1/gw/gw-tnwk-01/cmd/res',
    });
    expect(t.node('pir-07')).toBe('siaga/v1/gw/gw-tnwk-01/nodes/pir-07');
  });
});

describe('uplink payloads (docs/wire.md §3)', () => {
  it('a serial reading, exactly', () => {
    expect(readingJson(serialRow)).toBe(
      '{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA","node":"pir-07","seq":1234,"type":"pir","ts":1763892000123,"via":"serial","v":{"n":3,"bat":3.71}}',
    );
  });

  it('a LoRa reading adds radio; an unsynced one adds clock_ok:false', () => {
    const lora = {
      ...serialRow,
      via: 'lora',
      radio: '{"rssi":-97,"snr":7.5,"freq":922.2,"sf":10}',
      clock_ok: 0,
    };
    expect(JSON.parse(readingJson(lora))).toEqual({
      id: serialRow.id,
      node: 'pir-07',
      seq: 1234,
      type: 'pir',
      ts: 1763892000123,
      via: 'lora',
      v: { n: 3, bat: 3.71 },
      radio: { rssi: -97, snr: 7.5, freq: 922.2, sf: 10 },
      clock_ok: false,
    });
    expect(readingJson(serialRow)).not.toContain('clock_ok');
    expect(readingJson(serialRow)).not.toContain('radio');
  });

  it('a batch: {gw, batch, readings[]}, valid JSON, text values escaped', () => {
    const cam = {
      ...serialRow,
      oid: 2,
      node: 'cam-02',
      type: 'cam',
      v: '{"label":"ele\\"phant","conf":0.91}',
    };
    const s = readingsBatchJson('gw-tnwk-01', '01JBATCHBATCHBATCHBATCHBAT', [serialRow, cam]);
    const b = JSON.parse(s);
    expect(Object.keys(b)).toEqual(['gw', 'batch', 'readings']);
    expect(b.gw).toBe('gw-tnwk-01');
    expect(b.batch).toBe('01JBATCHBATCHBATCHBATCHBAT');
    expect(b.readings).toHaveLength(2);
    expect(b.readings[1].v.label).toBe('ele"phant');
    expect(JSON.parse(readingsBatchJson('g', 'b', []))).toEqual({ gw: 'g', batch: 'b', readings: [] });
  });

  it('deflate round-trips and is raw deflate (no zlib header)', () => {
    const json = readingsBatchJson(
      'gw',
      'b',
      Array.from({ length: 200 }, (_, i) => ({ ...serialRow, seq: i })),
    );
    const z = deflatePayload(json);
    expect(inflatePayload(z)).toBe(json);
    expect(z.length).toBeLessThan(json.length / 4);
    expect(z[0]).not.toBe(0x78); // a zlib stream would start with 0x78
  });

  it('an event: {id, ts, kind, ...fields, village_code}, in that order', () => {
    const row: OutboxEventRow = {
      oid: 9,
      id: '01JEVENTEVENTEVENTEVENTEVE',
      ts: 1763892000500,
      kind: 'level',
      fields: JSON.stringify({
        zone: 'z-braja',
        level: 'AWAS',
        prev: 'SIAGA',
        score: 112,
        nodes: ['cam-02', 'seis-03'],
        reason: 'cam elephant',
      }),
    };
    const s = eventRowJson(row, '18.07.11.2005');
    expect(s).toBe(
      '{"id":"01JEVENTEVENTEVENTEVENTEVE","ts":1763892000500,"kind":"level","zone":"z-braja","level":"AWAS","prev":"SIAGA","score":112,"nodes":["cam-02","seis-03"],"reason":"cam elephant","village_code":"18.07.11.2005"}',
    );
  });

  it('the all-clear (level back to NORMAL) always carries all_clear:true', () => {
    const e = { id: 'x', ts: 1, kind: 'level', fields: { zone: 'z', level: 'NORMAL', prev: 'WASPADA' } };
    expect(eventPayload(e, '18.07.11.2005').all_clear).toBe(true);
    expect(eventPayload({ ...e, fields: { ...e.fields, all_clear: true } }, 'v').all_clear).toBe(true);
    expect(eventPayload({ ...e, fields: { zone: 'z', level: 'AWAS' } }, 'v')).not.toHaveProperty('all_clear');
  });

  it('fields cannot override id, ts, kind or village_code', () => {
    const p = eventPayload(
      { id: 'real', ts: 5, kind: 'cmd', fields: { id: 'fake', ts: 0, kind: 'x', village_code: 'y' } },
      'v',
    );
    expect(p).toEqual({ id: 'real', ts: 5, kind: 'cmd', village_code: 'v' });
  });

  it('a corrupt fields column still sends the event with its id', () => {
    const p = JSON.parse(eventRowJson({ oid: 1, id: 'e1', ts: 2, kind: 'clock', fields: '{oops' }, 'v'));
    expect(p).toMatchObject({ id: 'e1', ts: 2, kind: 'clock', village_code: 'v' });
  });

  it('status: online, ts, version, uptime, site, clock_ok, levels, backlog, nodes', () => {
    const s = statusPayload(
      {
        version: '0.1.0',
        uptime_s: 3600,
        site: {
          name: 'Braja Harjosari',
          village_code: '18.07.11.2005',
          park: 'TNWK',
          lat: -5.02,
          lon: 105.76,
        },
        clock_ok: true,
        levels: { 'z-braja': 'NORMAL' },
        nodes: { total: 12, offline: 1 },
      },
      1763892000000,
      0,
    );
    expect(s).toBe(
      '{"online":true,"ts":1763892000000,"version":"0.1.0","uptime_s":3600,"site":{"name":"Braja Harjosari","village_code":"18.07.11.2005","park":"TNWK","lat":-5.02,"lon":105.76},"clock_ok":true,"levels":{"z-braja":"NORMAL"},"backlog":0,"nodes":{"total":12,"offline":1}}',
    );
    expect(OFFLINE_STATUS).toBe('{"online":false}');
  });

  it('node state, retained', () => {
    expect(
      nodePayload({
        node: 'pir-07',
        online: true,
        last_seen: 1763892000000,
        bat: 3.7,
        rssi: -71,
        seq: 1235,
        lost: 0,
        resets: 0,
      }),
    ).toBe(
      '{"node":"pir-07","online":true,"last_seen":1763892000000,"bat":3.7,"rssi":-71,"seq":1235,"lost":0,"resets":0}',
    );
  });
});

describe('a live reading on the wire', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
  const reading: fc.Arbitrary<Reading> = fc.record(
    {
      id: fc.string(),
      node: fc.string(),
      seq: fc.integer(),
      type: fc.constantFrom(...READING_TYPES),
      ts: fc.integer({ min: 0, max: 2 ** 45 }),
      via: fc.constantFrom('serial' as const, 'lora' as const, 'mqtt' as const),
      v: fc.dictionary(fc.string(), fc.oneof(finite, fc.string({ unit: 'grapheme' }))),
      radio: fc.record(
        {
          rssi: fc.integer(),
          snr: finite,
          freq: finite,
          sf: fc.integer({ min: 7, max: 12 }),
          datr: fc.nat(),
        },
        { requiredKeys: ['rssi', 'freq'] },
      ),
      clockOk: fc.boolean(),
    },
    { requiredKeys: ['id', 'node', 'seq', 'type', 'ts', 'via', 'v', 'clockOk'] },
  );

  it('property: built from memory it is byte for byte what the outbox builds from the stored row', () => {
    fc.assert(
      fc.property(reading, (r) => {
        expect(liveReadingJson(r)).toBe(readingJson(storedRow(r)));
      }),
      { numRuns: 2000 },
    );
  });
});
