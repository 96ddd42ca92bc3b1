import { createSocket, type Socket } from 'node:dgram';
import {
  decodeGwmp,
  encodePullData,
  encodePushData,
  encodeTxAck,
  type Txpk,
} from '../../drivers/gwmp/packet.js';
import type { VerifiedUplink } from '../../src/codecs/lora-uplink.js';
import { loraPacket } from '../../src/codecs/lorawan.js';
import { until } from './wait.js';

/**
 * A packet forwarder as lora_pkt_fwd / sx1302_hal's forwarder behaves on the wire (PROTOCOL.TXT,
 * GWMP v2): one UDP socket, PULL_DATA keepalives from it, PUSH_DATA with `rxpk` entries shaped as
 * the sx1302 forwarder prints them, and a TX_ACK for each PULL_RESP (or none, when told so).
 */
export class ForwarderEmu {
  readonly socket: Socket = createSocket('udp4');
  readonly downlinks: { txpk: Txpk; token: number }[] = [];
  private readonly acks = new Set<number>();
  private token = 0x100;
  /** What to answer a PULL_RESP with: a txpk_ack error, 'NONE', or 'silent' for no TX_ACK at all. */
  txAck: (txpk: Txpk) => string = () => 'NONE';
  /** Called after the TX_ACK went out (a node that hears the downlink answers from here). */
  onDownlink: (txpk: Txpk) => void = () => {};

  constructor(
    readonly eui: string,
    private readonly port: number,
  ) {}

  async open(): Promise<void> {
    this.socket.on('message', (m) => {
      const p = decodeGwmp(m);
      if (!p.ok) return;
      if (p.value.kind === 'push_ack' || p.value.kind === 'pull_ack') this.acks.add(p.value.token);
      if (p.value.kind === 'pull_resp') {
        const { txpk } = p.value.body;
        this.downlinks.push({ txpk, token: p.value.token });
        const error = this.txAck(txpk);
        if (error !== 'silent') this.send(encodeTxAck(p.value.token, this.eui, error));
        this.onDownlink(txpk);
      }
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    await this.pull();
  }

  private send(b: Buffer): void {
    this.socket.send(b, this.port, '127.0.0.1');
  }

  /** PULL_DATA, and wait for its PULL_ACK: from then on downlinks can reach this forwarder. */
  async pull(): Promise<void> {
    const token = this.token++ & 0xffff;
    this.send(encodePullData(token, this.eui));
    await until(`PULL_ACK ${token}`, () => this.acks.has(token));
  }

  /** PUSH_DATA with one rxpk of `phy`; resolves on its PUSH_ACK. */
  async push(phy: Buffer, radio: Partial<RxRadio> = {}): Promise<void> {
    const token = this.token++ & 0xffff;
    this.send(encodePushData(token, this.eui, { rxpk: [rxpkOf(phy, radio)] }));
    await until(`PUSH_ACK ${token}`, () => this.acks.has(token));
  }

  async waitDownlinks(n: number, timeoutMs = 10_000): Promise<{ txpk: Txpk; token: number }[]> {
    await until(`${n} downlinks at ${this.eui}`, () => this.downlinks.length >= n, timeoutMs);
    return this.downlinks;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

export interface RxRadio {
  tmst: number;
  freq: number;
  datr: string;
  lsnr: number;
  rssi: number;
}

/** One rxpk as the sx1302 packet forwarder reports a LoRa frame. */
export function rxpkOf(phy: Buffer, r: Partial<RxRadio> = {}): Record<string, unknown> {
  return {
    jver: 1,
    tmst: r.tmst ?? 3_512_348_611,
    chan: 2,
    rfch: 1,
    freq: r.freq ?? 922.2,
    mid: 8,
    stat: 1,
    modu: 'LORA',
    datr: r.datr ?? 'SF9BW125',
    codr: '4/5',
    rssis: (r.rssi ?? -97) - 2,
    lsnr: r.lsnr ?? 7.5,
    foff: -451,
    rssi: r.rssi ?? -97,
    size: phy.length,
    data: phy.toString('base64'),
  };
}

export interface DeviceSession {
  devAddr: string;
  nwkSKey: Buffer;
  appSKey: Buffer;
}

const fcntMsb = (fcnt: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(Math.floor(fcnt / 0x10000) & 0xffff);
  return b;
};

/**
 * An end-device: builds its uplinks (and, for OTAA, its JoinRequest) and opens its downlinks with
 * lora-packet, as the firmware would, independently of the gateway's own code.
 */
export class TestDevice {
  session: DeviceSession | undefined;
  private devNonce = 0;

  constructor(
    readonly keys: { devEui?: string; joinEui?: string; appKey?: string; session?: DeviceSession },
  ) {
    this.session = keys.session;
  }

  joinRequest(devNonce: number, appKey = this.keys.appKey): Buffer {
    this.devNonce = devNonce;
    const nonce = Buffer.alloc(2);
    nonce.writeUInt16BE(devNonce);
    const p = loraPacket.fromFields(
      {
        MType: 'Join Request',
        AppEUI: Buffer.from(this.keys.joinEui ?? '', 'hex'),
        DevEUI: Buffer.from(this.keys.devEui ?? '', 'hex'),
        DevNonce: nonce,
      },
      undefined,
      undefined,
      Buffer.from(appKey ?? '', 'hex'),
    );
    return p.getPHYPayload() as Buffer;
  }

  /** Decrypts and checks a JoinAccept, derives the session as a device does, and keeps it. */
  acceptJoin(phyB64: string): DeviceSession & { netId: string; joinNonce: string; dlSettings: number } {
    const appKey = Buffer.from(this.keys.appKey ?? '', 'hex');
    const enc = loraPacket.fromWire(Buffer.from(phyB64, 'base64'));
    const dec = loraPacket.fromWire(loraPacket.decryptJoinAccept(enc, appKey));
    if (!loraPacket.verifyMIC(dec, undefined, appKey)) throw new Error('JoinAccept MIC does not verify');
    const nonce = Buffer.alloc(2);
    nonce.writeUInt16BE(this.devNonce);
    const { AppNonce, NetID, DevAddr } = dec;
    if (!AppNonce || !NetID || !DevAddr) throw new Error('JoinAccept fields missing');
    const keys = loraPacket.generateSessionKeys10(appKey, NetID, AppNonce, nonce);
    this.session = { devAddr: DevAddr.toString('hex'), nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey };
    return {
      ...this.session,
      netId: NetID.toString('hex'),
      joinNonce: AppNonce.toString('hex'),
      dlSettings: dec.DLSettings?.[0] ?? -1,
    };
  }

  uplink(u: {
    fcnt: number;
    fport: number;
    payload: Buffer;
    confirmed?: boolean;
    ack?: boolean;
    fopts?: Buffer;
  }): Buffer {
    const s = this.mustSession();
    const fcnt = Buffer.alloc(2);
    fcnt.writeUInt16BE(u.fcnt & 0xffff);
    const p = loraPacket.fromFields(
      {
        MType: u.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
        DevAddr: Buffer.from(s.devAddr, 'hex'),
        FCtrl: { ADR: false, ACK: u.ack ?? false, ADRACKReq: false, FPending: false },
        FCnt: fcnt,
        FOpts: u.fopts ?? Buffer.alloc(0),
        FPort: u.fport,
        payload: u.payload,
      },
      s.appSKey,
      s.nwkSKey,
      undefined,
      fcntMsb(u.fcnt),
    );
    return p.getPHYPayload() as Buffer;
  }

  /** Opens a data downlink: MIC checked with the NwkSKey, FRMPayload decrypted with the AppSKey. */
  downlink(phyB64: string): Omit<VerifiedUplink, 'node'> {
    const s = this.mustSession();
    const p = loraPacket.fromWire(Buffer.from(phyB64, 'base64'));
    if (!loraPacket.verifyMIC(p, s.nwkSKey)) throw new Error('downlink MIC does not verify');
    const fport = p.getFPort();
    return {
      devAddr: p.DevAddr?.toString('hex') ?? '',
      fcnt: p.getFCnt() ?? -1,
      confirmed: p.getMType() === 'Confirmed Data Down',
      ack: p.getFCtrlACK() ?? false,
      fport,
      payload: fport === null ? Buffer.alloc(0) : loraPacket.decrypt(p, s.appSKey, s.nwkSKey),
      fopts: Buffer.from(p.FOpts ?? Buffer.alloc(0)),
    };
  }

  private mustSession(): DeviceSession {
    if (!this.session) throw new Error('device has no session (not joined)');
    return this.session;
  }
}
