import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Txpk } from '../../drivers/gwmp/packet.js';
import { decodeGwmp, encodePullData, encodePushData, encodeTxAck } from '../../drivers/gwmp/packet.js';
import { loraPacket, sessionFromConfig } from '../codecs/lorawan.js';
import { CODECS, TYPE_FPORTS } from '../codecs/lpp.js';
import type { LoraDeviceConfig } from '../config/schema.js';
import { type Frame, SimulatorError } from '../domain/index.js';
import { must } from '../util/must.js';

/**
 * The forwarder side of the LoRa path, for the demo, the integration tests and the benchmark:
 * real LoRaWAN 1.0 frames (encrypted and MIC-signed by lora-packet with the device's ABP keys)
 * inside real GWMP v2 datagrams, as a concentrator running lora_pkt_fwd would send them.
 */

/** AS923-2 uplink channels (Indonesia); the simulator never uses EU868 or US915 values. */
export const AS923_2_FREQS = [921.4, 921.6, 921.8, 922.0, 922.2, 922.4, 922.6] as const;

export interface UplinkOptions {
  gatewayEui: string;
  token?: number;
  freq?: number;
  /** 7..12 */
  sf?: number;
  rssi?: number;
  lsnr?: number;
  /** Concentrator µs counter (32-bit, wraps). */
  tmst?: number;
  confirmed?: boolean;
  adr?: boolean;
}

/**
 * Builds the PHYPayload of `frame` for `device`: FPort from the frame type, payload by the
 * device's codec, FCnt sent as its low 16 bits and its high 16 bits used in MIC and keystream.
 * Throws SimulatorError when the frame cannot be expressed in the codec.
 */
export function buildPhyPayload(
  device: LoraDeviceConfig,
  frame: Frame,
  fcnt: number,
  opts: { confirmed?: boolean; adr?: boolean } = {},
): Buffer {
  const session = sessionFromConfig(device);
  const fport = TYPE_FPORTS.get(frame.type);
  const codec = CODECS.get(device.codec);
  if (fport === undefined || codec === undefined)
    throw new SimulatorError(`no FPort/codec for ${frame.type}`);
  const payload = codec.encode(frame.type, frame.v);
  if (!payload.ok) throw new SimulatorError(`${payload.reason}: ${payload.detail ?? ''}`);
  const fcntLow = Buffer.alloc(2);
  fcntLow.writeUInt16BE(fcnt & 0xffff);
  const msb = Buffer.alloc(2);
  msb.writeUInt16LE(Math.floor(fcnt / 0x10000) & 0xffff);
  const packet = loraPacket.fromFields(
    {
      MType: opts.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
      DevAddr: Buffer.from(session.devAddr, 'hex'),
      FCtrl: { ADR: opts.adr ?? false, ACK: false, ADRACKReq: false, FPending: false },
      FCnt: fcntLow,
      FPort: fport,
      payload: payload.value,
    },
    session.appSKey,
    session.nwkSKey,
    undefined,
    msb,
  );
  const phy = packet.getPHYPayload();
  if (!phy) throw new SimulatorError('lora-packet built no PHYPayload');
  return phy;
}

/** A PUSH_DATA datagram carrying one rxpk of `frame` (pure; tests and benchmarks use it). */
export function buildUplinkDatagram(
  device: LoraDeviceConfig,
  frame: Frame,
  fcnt: number,
  opts: UplinkOptions,
): Buffer {
  const phy = buildPhyPayload(device, frame, fcnt, {
    ...(opts.confirmed !== undefined && { confirmed: opts.confirmed }),
    ...(opts.adr !== undefined && { adr: opts.adr }),
  });
  const sf = opts.sf ?? 10;
  const rxpk = {
    tmst: opts.tmst ?? 0,
    chan: 0,
    rfch: 0,
    freq: opts.freq ?? 922.2,
    stat: 1,
    modu: 'LORA',
    datr: `SF${sf}BW125`,
    codr: '4/5',
    rssi: opts.rssi ?? -97,
    lsnr: opts.lsnr ?? 7.5,
    size: phy.length,
    data: phy.toString('base64'),
  };
  return encodePushData(opts.token ?? 0, opts.gatewayEui, { rxpk: [rxpk] });
}

export interface LoraSimulatorDeps {
  host: string;
  port: number;
  gatewayEui: string;
  devices: LoraDeviceConfig[];
  log: Logger;
  /** PUSH_ACK wait per attempt. Default 500 ms. */
  ackTimeoutMs?: number;
  /** Attempts per uplink. Default 3. */
  attempts?: number;
  /** PULL_DATA keepalive period. Default 10 s (lora_pkt_fwd's keepalive_interval). */
  keepaliveMs?: number;
  /** Answers a downlink: undefined = TX_ACK NONE, else the error to report (e.g. TOO_LATE). */
  onDownlink?: (txpk: Txpk) => string | undefined;
}

/**
 * A packet forwarder with nodes behind it. `send(frame)` uses `frame.seq` as the FCnt (the
 * gateway reports the 32-bit FCnt as the reading's seq, so the two line up).
 */
export class LoraSimulator {
  private socket: Socket | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, () => void>();
  private readonly devices = new Map<string, LoraDeviceConfig>();
  private tokenSeq = randomInt(0x10000);

  constructor(private readonly deps: LoraSimulatorDeps) {
    for (const d of deps.devices) this.devices.set(d.node, d);
  }

  async start(): Promise<void> {
    if (this.socket !== undefined) return;
    const socket = createSocket(this.deps.host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (msg) => this.onMessage(msg));
    socket.on('error', (err) => this.deps.log.warn({ err }, 'lora sim socket error'));
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    this.pull();
    this.keepalive = setInterval(() => this.pull(), this.deps.keepaliveMs ?? 10_000);
    this.keepalive.unref();
  }

  async stop(): Promise<void> {
    if (this.keepalive !== undefined) clearInterval(this.keepalive);
    const socket = this.socket;
    this.socket = undefined;
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends `frame` as the node's uplink; true once PUSH_ACKed, false after every attempt timed out. */
  async send(frame: Frame, opts: Partial<UplinkOptions> = {}): Promise<boolean> {
    const device = this.devices.get(frame.node);
    if (device === undefined) throw new SimulatorError(`node ${frame.node} is no LoRa device`);
    const token = this.nextToken();
    const datagram = buildUplinkDatagram(device, frame, frame.seq, {
      gatewayEui: this.deps.gatewayEui,
      token,
      freq: must(AS923_2_FREQS[randomInt(AS923_2_FREQS.length)], 'an AS923-2 frequency'),
      sf: 7 + randomInt(6),
      rssi: -120 + randomInt(60),
      lsnr: Math.round((Math.random() * 25 - 15) * 10) / 10,
      tmst: Math.floor(performance.now() * 1000) >>> 0,
      ...opts,
    });
    for (let attempt = 0; attempt < (this.deps.attempts ?? 3); attempt++) {
      if (await this.sendAndWait(datagram, token)) return true;
      this.deps.log.debug({ node: frame.node, attempt }, 'lora sim: no PUSH_ACK, retrying');
    }
    return false;
  }

  private nextToken(): number {
    this.tokenSeq = (this.tokenSeq + 1) & 0xffff;
    return this.tokenSeq;
  }

  private sendAndWait(datagram: Buffer, token: number): Promise<boolean> {
    const socket = this.socket;
    if (socket === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        resolve(false);
      }, this.deps.ackTimeoutMs ?? 500);
      this.waiting.set(token, () => {
        clearTimeout(timer);
        this.waiting.delete(token);
        resolve(true);
      });
      socket.send(datagram, this.deps.port, this.deps.host);
    });
  }

  private pull(): void {
    this.socket?.send(encodePullData(this.nextToken(), this.deps.gatewayEui), this.deps.port, this.deps.host);
  }

  private onMessage(msg: Buffer): void {
    const p = decodeGwmp(msg);
    if (!p.ok) {
      this.deps.log.warn({ reason: p.reason }, 'lora sim: bad datagram from gateway');
      return;
    }
    if (p.value.kind === 'push_ack') this.waiting.get(p.value.token)?.();
    if (p.value.kind === 'pull_resp') {
      const error = this.deps.onDownlink?.(p.value.body.txpk);
      const ack = encodeTxAck(p.value.token, this.deps.gatewayEui, error ?? 'NONE');
      this.socket?.send(ack, this.deps.port, this.deps.host);
    }
  }
}
