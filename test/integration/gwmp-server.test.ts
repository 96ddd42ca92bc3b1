import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_UNLISTED_GATEWAYS } from '../../drivers/gwmp/admission.js';
import type { PushBody } from '../../drivers/gwmp/packet.js';
import { decodeGwmp, encodePullData, encodePushData, encodeTxAck } from '../../drivers/gwmp/packet.js';
import { GwmpServer } from '../../drivers/gwmp/server.js';
import { LoraUplinkHandler } from '../../src/codecs/lora-uplink.js';
import type { LoraDeviceConfig } from '../../src/config/schema.js';
import type { Frame } from '../../src/domain/index.js';
import { ManualClock } from '../../src/domain/index.js';
import type { FcntStore } from '../../src/ports/fcnt-store.js';
import { LoraSimulator } from '../../src/sim/lora-forwarder.js';
import { openDb } from '../../src/store/db.js';
import { LoraStateStore } from '../../src/store/lora-state.js';
import { rx2Txpk } from '../fixtures/semtech-rxpk.js';
import { silentLog as log } from '../helpers/log.js';
import { must } from '../helpers/must.js';
import { until } from '../helpers/wait.js';

const EUI = 'aa555a0000000101';
const TXPK = rx2Txpk({ imme: true, size: 1, data: 'AQ==' });
const DEVICE: LoraDeviceConfig = {
  node: 'pir-07',
  dev_addr: '26011bda',
  nwk_s_key: '2b7e151628aed2a6abf7158809cf4f3c',
  app_s_key: '000102030405060708090a0b0c0d0e0f',
  codec: 'lpp',
};

/** A fake packet forwarder: a UDP socket that records what the gateway sends it. */
class FakeForwarder {
  readonly socket: Socket = createSocket('udp4');
  readonly inbox: Buffer[] = [];
  private waiters: (() => void)[] = [];
  onPullResp: ((token: number) => void) | undefined;

  async open(): Promise<void> {
    this.socket.on('message', (m) => {
      this.inbox.push(m);
      const p = decodeGwmp(m);
      if (p.ok && p.value.kind === 'pull_resp') this.onPullResp?.(p.value.token);
      for (const w of this.waiters.splice(0)) w();
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
  }
  send(buf: Buffer, port: number): void {
    this.socket.send(buf, port, '127.0.0.1');
  }
  /** Resolves once `n` datagrams have arrived in total. */
  async received(n: number): Promise<Buffer[]> {
    while (this.inbox.length < n) await new Promise<void>((r) => this.waiters.push(r));
    return this.inbox;
  }
  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

const tick = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('GwmpServer over real UDP', () => {
  let server: GwmpServer;
  let fwd: FakeForwarder;
  let port: number;
  const pushes: { eui: string; body: PushBody }[] = [];
  const stats: { eui: string; stat: Record<string, unknown> }[] = [];
  const counts: string[] = [];

  beforeEach(async () => {
    pushes.length = 0;
    stats.length = 0;
    counts.length = 0;
    server = new GwmpServer({
      host: '127.0.0.1',
      port: 0,
      maxDatagramBytes: 2048,
      clock: new ManualClock(1_000),
      log,
      onPush: (eui, body) => pushes.push({ eui, body }),
      onStat: (eui, stat) => stats.push({ eui, stat }),
      count: (r) => counts.push(r),
      txAckTimeoutMs: 300,
    });
    await server.start();
    port = server.address().port;
    fwd = new FakeForwarder();
    await fwd.open();
  });

  afterEach(async () => {
    await server.stop();
    await fwd.close();
  });

  it('answers PUSH_DATA with PUSH_ACK (token echoed) and hands rxpk and stat on', async () => {
    fwd.send(encodePushData(0xb71c, EUI, { rxpk: [{ data: 'AA==' }], stat: { rxnb: 4, txnb: 1 } }), port);
    const [ack] = await fwd.received(1);
    expect(ack?.toString('hex')).toBe('02b71c01');
    await tick();
    expect(pushes).toEqual([{ eui: EUI, body: { rxpk: [{ data: 'AA==' }], stat: { rxnb: 4, txnb: 1 } } }]);
    expect(stats).toEqual([{ eui: EUI, stat: { rxnb: 4, txnb: 1 } }]);
    expect(server.stats()[0]).toMatchObject({ gatewayEui: EUI, pushData: 1, rxpk: 1 });
  });

  it('answers PULL_DATA with PULL_ACK and remembers the route', async () => {
    fwd.send(encodePullData(0x002a, EUI), port);
    const [ack] = await fwd.received(1);
    expect(ack?.toString('hex')).toBe('02002a04');
    expect(server.stats()[0]).toMatchObject({
      pullData: 1,
      pullAddress: '127.0.0.1',
      pullPort: fwd.socket.address().port,
    });
  });

  it('counts malformed datagrams and keeps serving', async () => {
    for (const b of [
      Buffer.from([2, 0]),
      Buffer.from([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([2, 0, 1, 9]),
      Buffer.concat([encodePullData(1, EUI).subarray(0, 12), Buffer.from('{oops')]),
      Buffer.alloc(3000, 2),
      Buffer.from([2, 0, 1, 1]), // a PUSH_ACK sent to us
    ]) {
      fwd.send(b, port);
    }
    fwd.send(Buffer.concat([encodePushData(3, EUI, {}).subarray(0, 12), Buffer.from('not json')]), port);
    await fwd.received(1); // the bad-JSON PUSH_DATA is still ACKed
    await tick(100);
    expect(counts.sort()).toEqual(
      [
        'bad_json',
        'bad_version',
        'too_large',
        'too_short',
        'trailing_bytes',
        'unexpected_id',
        'unknown_id',
      ].sort(),
    );
    fwd.send(encodePullData(4, EUI), port);
    await fwd.received(2);
  });

  it('sends a downlink to the PULL_DATA address and resolves on TX_ACK', async () => {
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: false, error: 'no_route' });
    fwd.send(encodePullData(1, EUI), port);
    await fwd.received(1);
    fwd.onPullResp = (token) => fwd.send(encodeTxAck(token, EUI), port);
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: true });
    const resp = decodeGwmp(must(fwd.inbox[1], 'the PULL_RESP datagram'));
    expect(resp).toMatchObject({ ok: true, value: { kind: 'pull_resp', body: { txpk: TXPK } } });

    fwd.onPullResp = (token) => fwd.send(encodeTxAck(token, EUI, 'TOO_LATE'), port);
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: false, error: 'TOO_LATE' });
    fwd.onPullResp = (token) => fwd.send(encodeTxAck(token, EUI, 'COLLISION_PACKET'), port);
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: false, error: 'COLLISION_PACKET' });

    fwd.onPullResp = undefined;
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: false, error: 'timeout' });
    expect(server.stats()[0]).toMatchObject({ downlinks: 4, txAckOk: 1, txAckError: 2 });

    fwd.send(encodeTxAck(0x4242, EUI), port); // nobody asked
    await tick();
    expect(counts).toEqual(['unknown_token']);
  });

  it('refuses a downlink to a forwarder whose last PULL_DATA is stale, with a count, until it pulls again', async () => {
    const clock = new ManualClock(5_000);
    const staleCounts: string[] = [];
    const s2 = new GwmpServer({
      ...{ host: '127.0.0.1', port: 0, maxDatagramBytes: 2048, clock, log },
      ...{
        onPush: () => {},
        onStat: () => {},
        count: (r: string) => staleCounts.push(r),
        txAckTimeoutMs: 300,
      },
    });
    await s2.start();
    const p2 = s2.address().port;
    try {
      fwd.onPullResp = (token) => fwd.send(encodeTxAck(token, EUI), p2);
      fwd.send(encodePullData(1, EUI), p2);
      await fwd.received(1);
      expect(await s2.sendDownlink(EUI, TXPK)).toEqual({ ok: true });
      clock.advance(61_000); // six keepalives missed: the forwarder or its NAT mapping is gone
      expect(await s2.sendDownlink(EUI, TXPK)).toEqual({ ok: false, error: 'stale_route' });
      expect(staleCounts).toEqual(['stale_route']);
      fwd.send(encodePullData(2, EUI), p2);
      await fwd.received(3);
      expect(await s2.sendDownlink(EUI, TXPK)).toEqual({ ok: true });
    } finally {
      await s2.stop();
    }
  });

  it('survives a consumer that throws', async () => {
    const s2 = new GwmpServer({
      host: '127.0.0.1',
      port: 0,
      maxDatagramBytes: 65_535,
      clock: new ManualClock(0),
      log,
      onPush: () => {
        throw new Error('disk full');
      },
      onStat: () => {},
      count: (r) => counts.push(r),
    });
    await s2.start();
    fwd.send(encodePushData(1, EUI, { rxpk: [{}] }), s2.address().port);
    fwd.send(encodePushData(2, EUI, { rxpk: [{}] }), s2.address().port);
    await fwd.received(2);
    await tick();
    expect(counts).toEqual(['handler_error', 'handler_error']);
    await s2.stop();
  });

  it('serves a bounded number of forwarders: strangers get no ACK and no state, only a count', async () => {
    const strangers = Array.from({ length: 200 }, (_, i) => `ee${i.toString(16).padStart(14, '0')}`);
    for (const [i, eui] of strangers.entries()) fwd.send(encodePushData(i, eui, { stat: { rxnb: 1 } }), port);
    await until('all 200 handled', () => stats.length + counts.length >= 200);
    expect(stats).toHaveLength(MAX_UNLISTED_GATEWAYS);
    expect(counts).toEqual(Array(200 - MAX_UNLISTED_GATEWAYS).fill('unknown_gateway'));
    expect(server.stats()).toHaveLength(MAX_UNLISTED_GATEWAYS);
    await tick();
    expect(fwd.inbox).toHaveLength(MAX_UNLISTED_GATEWAYS); // ACKs only for those served

    // An allow-list (SIGHUP) forgets the others at once and serves the listed one.
    server.setGateways([EUI.toUpperCase()]);
    expect(server.stats()).toEqual([]);
    fwd.send(encodePullData(7, EUI), port);
    fwd.send(encodePullData(8, must(strangers[0], 'a stranger gateway')), port);
    await until('listed one served', () => server.stats().length === 1);
    await until('stranger counted', () => counts.length === 200 - MAX_UNLISTED_GATEWAYS + 1);
    expect(server.stats().map((t) => t.gatewayEui)).toEqual([EUI]);
  });
});

describe('simulator → server → handler → SQLite, end to end', () => {
  it('delivers simulated AS923-2 uplinks as frames and records forwarder stats', async () => {
    const db = openDb(':memory:');
    const store = new LoraStateStore(db);
    const frames: Frame[] = [];
    const counts: string[] = [];
    const clock = new ManualClock(1_763_892_000_000);
    const handler = new LoraUplinkHandler({
      devices: [DEVICE],
      dedupS: 10,
      fcnt: store satisfies FcntStore,
      clock,
      onFrame: (f, meta) => {
        expect(meta.radio.freq).toBeGreaterThanOrEqual(921.4);
        expect(meta.radio.freq).toBeLessThanOrEqual(922.6);
        frames.push(f);
      },
      count: (r) => counts.push(r),
    });
    const server = new GwmpServer({
      host: '127.0.0.1',
      port: 0,
      maxDatagramBytes: 65_535,
      clock,
      log,
      onPush: (eui, body, ts) => handler.handlePush(eui, body, ts),
      onStat: (eui, stat, ts) => store.recordStat(eui, stat, ts),
      count: (r) => counts.push(r),
    });
    await server.start();
    const sim = new LoraSimulator({
      host: '127.0.0.1',
      port: server.address().port,
      gatewayEui: EUI,
      devices: [DEVICE],
      log,
    });
    await sim.start();
    for (let seq = 1; seq <= 20; seq++) {
      expect(await sim.send({ node: 'pir-07', seq, type: 'pir', v: { n: seq % 4, bat: 3.7 } })).toBe(true);
    }
    const fwd = new FakeForwarder();
    await fwd.open();
    fwd.send(
      encodePushData(1, 'aa555a0000000202', { stat: { rxnb: 10, rxok: 9, txnb: 2 } }),
      server.address().port,
    );
    fwd.send(
      encodePushData(2, 'aa555a0000000202', { stat: { rxnb: 5, rxok: 5, txnb: 0 } }),
      server.address().port,
    );
    await fwd.received(2);
    await tick();
    // The simulator also answers downlinks with TX_ACK.
    expect(await server.sendDownlink(EUI, TXPK)).toEqual({ ok: true });

    expect(counts).toEqual([]);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(store.get('26011bda')).toBe(20);
    expect(store.stats()).toEqual([
      {
        gatewayEui: 'aa555a0000000202',
        rxPackets: 15,
        txPackets: 2,
        lastStat: { rxnb: 5, rxok: 5, txnb: 0 },
        lastSeen: clock.now(),
      },
    ]);
    await sim.stop();
    await fwd.close();
    await server.stop();
    db.close();
  });
});
