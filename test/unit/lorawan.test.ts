import { beforeEach, describe, expect, it } from 'vitest';
import { immediateTxpk } from '../../drivers/gwmp/packet.js';
import type { LoraUplinkMeta } from '../../src/codecs/lora-uplink.js';
import { LoraUplinkHandler } from '../../src/codecs/lora-uplink.js';
import {
  AS923_2_RX2,
  buildDataDown,
  DedupWindow,
  extendFcnt,
  loraPacket,
  openUplink,
  sessionFromConfig,
} from '../../src/codecs/lorawan.js';
import type { LoraDeviceConfig } from '../../src/config/schema.js';
import type { Frame } from '../../src/domain/index.js';
import { ManualClock } from '../../src/domain/index.js';
import type { FcntStore } from '../../src/ports/fcnt-store.js';
import { buildPhyPayload } from '../../src/sim/lora.js';
import { fskRxpk } from '../fixtures/semtech-rxpk.js';
import { must } from '../helpers/must.js';

// Fixed test keys: the vectors below are made by lora-packet with them.
const PIR = {
  node: 'pir-07',
  dev_addr: '26011BDA',
  nwk_s_key: '2B7E151628AED2A6ABF7158809CF4F3C',
  app_s_key: '000102030405060708090A0B0C0D0E0F',
  codec: 'lpp' as const,
} satisfies LoraDeviceConfig;
const PIR_APP_S_KEY = Buffer.from(must(PIR.app_s_key, 'the AppSKey of pir-07'), 'hex');
const PIR_NWK_S_KEY = Buffer.from(must(PIR.nwk_s_key, 'the NwkSKey of pir-07'), 'hex');
const CAM: LoraDeviceConfig = {
  node: 'cam-02',
  dev_addr: '26011bdb',
  nwk_s_key: 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0',
  app_s_key: 'b1b2b3b4b5b6b7b8b9babbbcbdbebfc0',
  codec: 'sg1',
};
const GW = 'aa555a0000000101';

class MemFcnt implements FcntStore {
  readonly m = new Map<string, number>();
  get(a: string) {
    return this.m.get(a);
  }
  set(a: string, f: number) {
    this.m.set(a, f);
  }
}

const pir = (seq: number, n = 1): Frame => ({ node: 'pir-07', seq, type: 'pir', v: { n, bat: 3.71 } });

function rxpk(phy: Buffer, extra: Record<string, unknown> = {}) {
  return {
    tmst: 123,
    freq: 922.2,
    stat: 1,
    modu: 'LORA',
    datr: 'SF10BW125',
    codr: '4/5',
    rssi: -97,
    lsnr: 7.5,
    size: phy.length,
    data: phy.toString('base64'),
    ...extra,
  };
}

describe('lorawan primitives', () => {
  it('decrypts the lora-packet README vector (known answer)', () => {
    const session = sessionFromConfig({
      dev_addr: '49BE7DF1',
      nwk_s_key: '44024241ed4ce9a68c6a8bc055233fd3',
      app_s_key: 'ec925802ae430ca77fd3dd73cb2cc588',
    });
    const r = openUplink(Buffer.from('40F17DBE4900020001954378762B11FF0D', 'hex'), {
      session: (a) => (a === '49be7df1' ? session : undefined),
      lastFcnt: () => undefined,
      recentlyAccepted: () => false,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      devAddr: '49be7df1',
      fcnt: 2,
      fport: 1,
      confirmed: false,
      macOnly: false,
    });
    expect(r.value.payload.toString()).toBe('test');
  });

  it.each([
    [5, undefined, 5],
    [5, 4, 5],
    [3, 4, 3], // a little behind: stays behind (replay, not a MIC failure)
    [0, 65535, 65536], // rollover
    [2, 65534, 65538],
    [65535, 65536, 65535], // the frame just before the rollover, late
    [10, 0x2fff0, 0x3000a],
    [0x7000, 0x10000, 0x17000],
    [0xffff, 0xfffffffe, 0xffffffff],
  ])('extendFcnt(%i, last %s) = %i', (f16, last, want) => {
    expect(extendFcnt(f16, last)).toBe(want);
  });

  it('builds a data-down frame lora-packet verifies and decrypts (siren downlink)', () => {
    const session = sessionFromConfig(PIR);
    const phy = buildDataDown(session, { fcntDown: 70_000, fport: 10, payload: Buffer.from([1, 20]) });
    const p = loraPacket.fromWire(phy);
    const msb = Buffer.from([0x01, 0x00]); // 70000 >> 16 = 1, little-endian
    expect(p.getMType()).toBe('Unconfirmed Data Down');
    expect(p.getFCnt()).toBe(70_000 & 0xffff);
    expect(loraPacket.verifyMIC(p, session.nwkSKey, undefined, msb)).toBe(true);
    expect([...loraPacket.decrypt(p, session.appSKey, session.nwkSKey, msb)]).toEqual([1, 20]);
    expect(immediateTxpk(phy, AS923_2_RX2)).toMatchObject({
      imme: true,
      freq: 921.4,
      datr: 'SF10BW125',
      ipol: true,
    });
  });

  it('DedupWindow forgets after the window', () => {
    const w = new DedupWindow(10_000);
    w.remember('a', 1, 'mic', 0);
    expect(w.has('a', 1, 'mic', 9_000)).toBe(true);
    expect(w.has('a', 1, 'other', 9_000)).toBe(false);
    expect(w.has('a', 1, 'mic', 10_001)).toBe(false);
    expect(w.size).toBe(0);
  });
});

describe('LoraUplinkHandler', () => {
  let clock: ManualClock;
  let fcnt: MemFcnt;
  let frames: { frame: Frame; meta: LoraUplinkMeta }[];
  let counts: Map<string, number>;
  let h: LoraUplinkHandler;

  const push = (...phys: (Buffer | Record<string, unknown>)[]) =>
    h.handlePush(GW, { rxpk: phys.map((p) => (Buffer.isBuffer(p) ? rxpk(p) : p)) });
  const reasons = () => Object.fromEntries(counts);

  beforeEach(() => {
    clock = new ManualClock(1_763_892_000_000);
    fcnt = new MemFcnt();
    frames = [];
    counts = new Map();
    h = new LoraUplinkHandler({
      devices: [PIR, CAM],
      dedupS: 10,
      fcnt,
      clock,
      onFrame: (frame, meta) => frames.push({ frame, meta }),
      count: (r) => counts.set(r, (counts.get(r) ?? 0) + 1),
    });
  });

  it('accepts a valid uplink and reports node, 32-bit seq, values and radio', () => {
    expect(push(buildPhyPayload(PIR, pir(7, 3), 7, { adr: true }))).toBe(1);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.frame).toEqual({ node: 'pir-07', seq: 7, type: 'pir', v: { n: 3, bat: 3.71 } });
    expect(frames[0]?.meta).toEqual({
      radio: { rssi: -97, snr: 7.5, freq: 922.2, sf: 10 },
      rxTs: clock.now(),
      devAddr: '26011bda',
      gatewayEui: GW,
      confirmed: false,
      adr: true,
      ack: false,
    });
    expect(fcnt.get('26011bda')).toBe(7);
    expect(counts.size).toBe(0);
  });

  it('decodes the sg1 codec and confirmed frames', () => {
    const f: Frame = { node: 'cam-02', seq: 1, type: 'cam', v: { label: 'elephant', conf: 0.91, bat: 3.9 } };
    push(buildPhyPayload(CAM, f, 1, { confirmed: true }));
    expect(frames[0]?.frame).toEqual(f);
    expect(frames[0]?.meta.confirmed).toBe(true);
  });

  it('refuses a frame signed with the wrong NwkSKey or altered in flight (bad_mic)', () => {
    push(buildPhyPayload({ ...PIR, nwk_s_key: '00'.repeat(16) }, pir(1), 1));
    const phy = buildPhyPayload(PIR, pir(2), 2);
    const at = phy.length - 6;
    phy[at] = must(phy[at], 'a MIC byte') ^ 0x01;
    push(phy);
    expect(reasons()).toEqual({ bad_mic: 2 });
    expect(frames).toHaveLength(0);
    expect(fcnt.get('26011bda')).toBeUndefined();
  });

  it('refuses an unconfigured DevAddr (unknown_devaddr)', () => {
    push(buildPhyPayload({ ...PIR, dev_addr: '26011bff' }, pir(1), 1));
    expect(reasons()).toEqual({ unknown_devaddr: 1 });
  });

  it('drops a second copy within dedup_s as duplicate, without a frame', () => {
    const phy = buildPhyPayload(PIR, pir(5), 5);
    push(phy);
    clock.advance(9_000);
    push(phy);
    expect(frames).toHaveLength(1);
    expect(reasons()).toEqual({ duplicate: 1 });
  });

  it('refuses the same frame outside dedup_s, and older counters, as replay', () => {
    push(buildPhyPayload(PIR, pir(4), 4));
    const phy = buildPhyPayload(PIR, pir(5), 5);
    push(phy);
    clock.advance(11_000);
    push(phy);
    push(buildPhyPayload(PIR, pir(4), 4));
    push(buildPhyPayload(PIR, pir(1), 1));
    expect(frames.map((f) => f.frame.seq)).toEqual([4, 5]);
    expect(reasons()).toEqual({ replay: 3 });
  });

  it('a copy of an older frame within the window is still only a duplicate', () => {
    const four = buildPhyPayload(PIR, pir(4), 4);
    push(four, buildPhyPayload(PIR, pir(5), 5));
    push(four);
    expect(reasons()).toEqual({ duplicate: 1 });
  });

  it('follows the FCnt past 65535 (32-bit extension in MIC and keystream)', () => {
    fcnt.set('26011bda', 65534);
    for (const seq of [65535, 65536, 65537]) push(buildPhyPayload(PIR, pir(seq, seq % 7), seq));
    expect(counts.size).toBe(0);
    expect(frames.map((f) => [f.frame.seq, f.frame.v.n])).toEqual([
      [65535, 65535 % 7],
      [65536, 65536 % 7],
      [65537, 65537 % 7],
    ]);
    expect(fcnt.get('26011bda')).toBe(65537);
  });

  it('rejects a frame encrypted with the low 16 bits only after a rollover (bad_mic)', () => {
    fcnt.set('26011bda', 65535);
    push(buildPhyPayload(PIR, pir(1), 1)); // a device reset to 1 would be 65537 here: MIC fails
    expect(reasons()).toEqual({ bad_mic: 1 });
  });

  it('counts truncated and garbage PHYPayloads as bad_phy', () => {
    const phy = buildPhyPayload(PIR, pir(1), 1);
    for (let len = 1; len < 12; len++) push(phy.subarray(0, len));
    push(Buffer.alloc(0));
    push(Buffer.from([0x43, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])); // major version 3
    push(Buffer.from([0x40, 0xda, 0x1b, 0x01, 0x26, 0x0f, 0, 0, 1, 2, 3, 4, 5])); // FOptsLen 15, too short
    expect(reasons()).toEqual({ bad_phy: 14 });
  });

  it('counts join requests and ignores other message types', () => {
    const join = loraPacket.fromFields(
      {
        MType: 'Join Request',
        AppEUI: Buffer.from('70b3d57ed0000000', 'hex'),
        DevEUI: Buffer.from('0004a30b001c0530', 'hex'),
        DevNonce: Buffer.from('1234', 'hex'),
      },
      undefined,
      undefined,
      PIR_APP_S_KEY,
    );
    push(join.getPHYPayload() as Buffer);
    const down = loraPacket.fromFields(
      { MType: 'Unconfirmed Data Down', DevAddr: Buffer.from(PIR.dev_addr, 'hex'), FCnt: 1, payload: 'x' },
      PIR_APP_S_KEY,
      PIR_NWK_S_KEY,
    );
    push(down.getPHYPayload() as Buffer);
    push(Buffer.from([0xe0, 1, 2, 3])); // proprietary
    expect(reasons()).toEqual({ join_request: 1, unsupported_mtype: 2 });
  });

  it('counts FPort 0 (MAC commands) as mac_only but spends the counter', () => {
    const mac = loraPacket.fromFields(
      {
        MType: 'Unconfirmed Data Up',
        DevAddr: Buffer.from(PIR.dev_addr, 'hex'),
        FCnt: Buffer.from('0009', 'hex'),
        FPort: 0,
        payload: Buffer.from([0x02]),
      },
      PIR_APP_S_KEY,
      PIR_NWK_S_KEY,
    );
    push(mac.getPHYPayload() as Buffer);
    expect(reasons()).toEqual({ mac_only: 1 });
    expect(fcnt.get('26011bda')).toBe(9);
  });

  it('counts CRC failures and malformed rxpk entries', () => {
    const phy = buildPhyPayload(PIR, pir(1), 1);
    push(
      rxpk(phy, { stat: -1 }),
      rxpk(phy, { data: '!!notbase64' }),
      rxpk(phy, { datr: 'SF13BW125' }),
      rxpk(phy, { datr: 50000 }),
      rxpk(phy, { rssi: 'loud' }),
      rxpk(phy, { freq: undefined }),
      rxpk(phy, { size: 3 }),
    );
    h.handlePush(GW, { rxpk: [null, 42, 'x', []] });
    h.handlePush(GW, { rxpk: 'nope' });
    h.handlePush(GW, null);
    expect(reasons()).toEqual({ crc_fail: 1, bad_rxpk: 12 });
    expect(h.handlePush(GW, { stat: {} })).toBe(0);
  });

  it('takes radio values from the strongest antenna of rsig[] (sx1302 forwarders), not antenna 0', () => {
    const phy = buildPhyPayload(PIR, pir(1), 1);
    push(
      rxpk(phy, {
        rssi: undefined,
        lsnr: undefined,
        rsig: [
          { ant: 0, chan: 5, rssic: -118, lsnr: -14.5, etime: 'e0' },
          { ant: 1, chan: 5, rssic: -96, lsnr: 8.25 },
          { ant: 2, chan: 5, rssic: -104, lsnr: 1 },
        ],
      }),
    );
    push(
      rxpk(buildPhyPayload(PIR, pir(2), 2), {
        rssi: undefined,
        lsnr: undefined,
        rsig: [{ rssic: -101, lsnr: -3.2 }],
      }),
    );
    expect(frames.map((f) => f.meta.radio)).toEqual([
      { rssi: -96, snr: 8.25, freq: 922.2, sf: 10 },
      { rssi: -101, snr: -3.2, freq: 922.2, sf: 10 },
    ]);
    expect(reasons()).toEqual({});
  });

  it('accepts an FSK uplink (AS923 DR7) exactly as the Semtech forwarder sends it: numeric datr, no lsnr', () => {
    const phy = buildPhyPayload(PIR, pir(1), 1);
    push(fskRxpk(phy));
    const fsk2 = buildPhyPayload(PIR, pir(2), 2);
    push(
      fskRxpk(fsk2, {
        rssi: undefined,
        rsig: [
          { ant: 0, chan: 8, rssic: -112 },
          { ant: 1, chan: 8, rssic: -88 },
        ],
      }),
    );
    expect(reasons()).toEqual({});
    expect(frames.map((f) => f.meta.radio)).toEqual([
      { rssi: -75, freq: 921.8, modu: 'FSK', datr: 50000 },
      { rssi: -88, freq: 921.8, modu: 'FSK', datr: 50000 },
    ]);
    expect(frames.map((f) => f.frame.seq)).toEqual([1, 2]);
  });

  it('refuses an FSK rxpk whose bit rate is not a number a concentrator could demodulate', () => {
    const phy = buildPhyPayload(PIR, pir(1), 1);
    for (const datr of ['SF7BW125', 0, 50000.5, 1e9, undefined]) {
      push(rxpk(phy, { modu: 'FSK', datr, lsnr: undefined, codr: undefined }));
    }
    expect(reasons()).toEqual({ bad_rxpk: 5 });
    expect(frames).toEqual([]);
  });

  it('counts a bad payload but still spends the counter', () => {
    const f: Frame = { node: 'cam-02', seq: 3, type: 'cam', v: { label: 'tiger', conf: 0.5 } };
    push(buildPhyPayload(CAM, f, 3));
    expect(reasons()).toEqual({ bad_value: 1 });
    expect(fcnt.get('26011bdb')).toBe(3);
  });

  it('a failing FCnt store or consumer costs only that frame, never the datagram', () => {
    const seen: number[] = [];
    const got: string[] = [];
    const broken = new LoraUplinkHandler({
      devices: [PIR],
      dedupS: 10,
      fcnt: {
        get: () => undefined,
        set: () => {
          throw new Error('SQLITE_FULL');
        },
      },
      clock,
      onFrame: (f) => {
        if (f.seq === 2) throw new Error('consumer down');
        seen.push(f.seq);
      },
      count: (r) => got.push(r),
    });
    const phys = [1, 2, 3].map((s) => rxpk(buildPhyPayload(PIR, pir(s), s)));
    expect(broken.handlePush(GW, { rxpk: phys })).toBe(2);
    expect(seen).toEqual([1, 3]);
    expect(got).toEqual(['fcnt_store_error', 'fcnt_store_error', 'handler_error', 'fcnt_store_error']);
  });
});
