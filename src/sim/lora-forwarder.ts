import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Txpk } from '../../drivers/gwmp/packet.js';
import { decodeGwmp, encodePullData, encodePushData, encodeTxAck } from '../../drivers/gwmp/packet.js';
import { type AbpSession, loraPacket, sessionFromConfig } from '../codecs/lorawan.js';
import type { LoraDeviceConfig, SirenConfig } from '../config/schema.js';
import { type Frame, SimulatorError } from '../domain/index.js';
import { must } from '../util/must.js';
import { AS923_2_FREQS, buildUplinkDatagram, rxpkOf, type UplinkOptions } from './lora.js';

type LoraSirenConfig = Extract<SirenConfig, { driver: 'lora' }>;

export interface LoraSimulatorDeps {
  host: string;
  port: number;
  gatewayEui: string;
  devices: LoraDeviceConfig[];
  log: Logger;
  /** LoRa sirens of the config: their nodes answer ON/OFF with an ACK and their state. */
  sirens?: readonly SirenConfig[];
  /** A siren node heard a command (the demo prints it). */
  onSirenCommand?: (siren: string, on: boolean) => void;
  /** PUSH_ACK wait per attempt. Default 500 ms. */
  ackTimeoutMs?: number;
  /** Attempts per uplink. Default 3. */
  attempts?: number;
  /** PULL_DATA keepalive period. Default 10 s (lora_pkt_fwd's keepalive_interval). */
  keepaliveMs?: number;
  /** Answers a downlink: undefined = TX_ACK NONE, else the error to report (e.g. TOO_LATE). */
  onDownlink?: (txpk: Txpk) => string | undefined;
}

/** What the simulator keeps per device: its session once it has one, and its own FCnt. */
interface SimDevice {
  config: LoraDeviceConfig;
  session: AbpSession | undefined;
  /** OTAA devices and siren nodes count their own FCnt (a join restarts it; ACKs spend it too). */
  fcnt: number;
  joining?: { devNonce: number; done: (ok: boolean) => void };
  siren?: LoraSirenConfig;
}

/**
 * A packet forwarder with nodes behind it, for the demo, `siaga simulate`, tests and benchmarks:
 * real LoRaWAN 1.0 frames in real GWMP v2 datagrams. ABP devices send with their configured keys;
 * OTAA devices join first (JoinRequest, then the JoinAccept the gateway sends back); the nodes of
 * LoRa sirens hear their ON/OFF, acknowledge it and report their state, as a Class C node does.
 * `send(frame)` of an ABP device uses `frame.seq` as the FCnt (the gateway reports it as the seq).
 */
export class LoraSimulator {
  private socket: Socket | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  private readonly waiting = new Map<number, () => void>();
  private readonly devices = new Map<string, SimDevice>();
  private tokenSeq = randomInt(0x10000);

  constructor(private readonly deps: LoraSimulatorDeps) {
    for (const d of deps.devices) {
      const siren = deps.sirens?.find((s): s is LoraSirenConfig => s.driver === 'lora' && s.node === d.node);
      this.devices.set(d.node, {
        config: d,
        session: d.dev_addr === undefined ? undefined : sessionFromConfig(d),
        fcnt: 0,
        ...(siren ? { siren } : {}),
      });
    }
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
    for (const d of this.devices.values()) d.joining?.done(false);
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** Sends `frame` as the node's uplink; true once PUSH_ACKed, false after every attempt timed out. */
  async send(frame: Frame, opts: Partial<UplinkOptions> = {}): Promise<boolean> {
    const device = this.devices.get(frame.node);
    if (device === undefined) throw new SimulatorError(`node ${frame.node} is no LoRa device`);
    if (device.session === undefined && !(await this.join(device))) return false;
    const own = device.config.dev_addr === undefined || device.siren !== undefined;
    const fcnt = own ? device.fcnt++ : frame.seq;
    return this.push(buildUplinkDatagram(device.config, frame, fcnt, this.uplinkOptions(device, opts)));
  }

  /** Sessions of the OTAA devices that joined (tests read the DevAddr the gateway gave). */
  session(node: string): AbpSession | undefined {
    return this.devices.get(node)?.session;
  }

  private uplinkOptions(device: SimDevice, opts: Partial<UplinkOptions>): UplinkOptions & { token: number } {
    return {
      gatewayEui: this.deps.gatewayEui,
      token: this.nextToken(),
      freq: must(AS923_2_FREQS[randomInt(AS923_2_FREQS.length)], 'an AS923-2 frequency'),
      // Fast enough that a reply fits AS923's 400 ms dwell time at the same data rate.
      sf: 7 + randomInt(4),
      rssi: -120 + randomInt(60),
      lsnr: Math.round((Math.random() * 25 - 15) * 10) / 10,
      tmst: Math.floor(performance.now() * 1000) >>> 0,
      ...(device.session ? { session: device.session } : {}),
      ...opts,
    };
  }

  /** OTAA: JoinRequest with a fresh DevNonce until a JoinAccept comes back (3 tries, 7 s each). */
  private async join(device: SimDevice): Promise<boolean> {
    const { dev_eui, join_eui, app_key } = device.config;
    if (dev_eui === undefined || join_eui === undefined || app_key === undefined) {
      throw new SimulatorError(`LoRa device ${device.config.node} has neither a session nor OTAA keys`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const devNonce = randomInt(0x10000);
      const nonce = Buffer.alloc(2);
      nonce.writeUInt16BE(devNonce);
      const phy = loraPacket
        .fromFields(
          {
            MType: 'Join Request',
            AppEUI: Buffer.from(join_eui, 'hex'),
            DevEUI: Buffer.from(dev_eui, 'hex'),
            DevNonce: nonce,
          },
          undefined,
          undefined,
          Buffer.from(app_key, 'hex'),
        )
        .getPHYPayload();
      if (phy === undefined) throw new SimulatorError('lora-packet built no JoinRequest');
      const accepted = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 7000);
        device.joining = {
          devNonce,
          done: (ok) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
      });
      const { token, ...o } = this.uplinkOptions(device, {});
      const rxpk = rxpkOf(phy, o);
      await this.push(encodePushData(token, this.deps.gatewayEui, { rxpk: [rxpk] }), token);
      if (await accepted) {
        this.deps.log.info(
          { node: device.config.node, devAddr: device.session?.devAddr },
          'lora sim: joined',
        );
        return true;
      }
    }
    delete device.joining;
    return false;
  }

  private nextToken(): number {
    this.tokenSeq = (this.tokenSeq + 1) & 0xffff;
    return this.tokenSeq;
  }

  private async push(datagram: Buffer, token = datagram.readUInt16BE(1)): Promise<boolean> {
    for (let attempt = 0; attempt < (this.deps.attempts ?? 3); attempt++) {
      if (await this.sendAndWait(datagram, token)) return true;
      this.deps.log.debug({ attempt }, 'lora sim: no PUSH_ACK, retrying');
    }
    return false;
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
      if (error === undefined) this.hear(p.value.body.txpk);
    }
  }

  /** A downlink on air: the device it is for takes it (a JoinAccept, or a siren command). */
  private hear(txpk: Txpk): void {
    const phy = Buffer.from(String(txpk.data), 'base64');
    if (phy[0] === 0x20) {
      for (const d of this.devices.values()) if (d.joining && this.acceptJoin(d, phy)) return;
      return;
    }
    let packet: ReturnType<typeof loraPacket.fromWire>;
    try {
      packet = loraPacket.fromWire(phy);
    } catch {
      return;
    }
    const devAddr = packet.DevAddr?.toString('hex');
    const device = [...this.devices.values()].find((d) => d.session?.devAddr === devAddr);
    if (device?.session === undefined || device.siren === undefined) return;
    if (!loraPacket.verifyMIC(packet, device.session.nwkSKey)) return;
    if (packet.getFPort() !== device.siren.fport) return;
    const payload = loraPacket
      .decrypt(packet, device.session.appSKey, device.session.nwkSKey)
      .toString('hex');
    const on = payload === device.siren.on_payload.toLowerCase();
    if (!on && payload !== device.siren.off_payload.toLowerCase()) return;
    this.deps.onSirenCommand?.(device.siren.id, on);
    this.report(device, on, packet.isConfirmed());
  }

  /** The siren node's next uplink: its state on the siren's FPort, with the ACK it owes. */
  private report(device: SimDevice, on: boolean, ack: boolean): void {
    const session = device.session;
    if (session === undefined || device.siren === undefined) return;
    const fcnt = device.fcnt++;
    const fcntBuf = Buffer.alloc(2);
    fcntBuf.writeUInt16BE(fcnt & 0xffff);
    const phy = loraPacket
      .fromFields(
        {
          MType: 'Unconfirmed Data Up',
          DevAddr: Buffer.from(session.devAddr, 'hex'),
          FCtrl: { ADR: false, ACK: ack, ADRACKReq: false, FPending: false },
          FCnt: fcntBuf,
          FPort: device.siren.fport,
          payload: Buffer.from([on ? 1 : 0]),
        },
        session.appSKey,
        session.nwkSKey,
      )
      .getPHYPayload();
    if (phy === undefined) return;
    const { token, ...o } = this.uplinkOptions(device, {});
    const rxpk = rxpkOf(phy, o);
    void this.push(encodePushData(token, this.deps.gatewayEui, { rxpk: [rxpk] }), token);
  }

  private acceptJoin(d: SimDevice, phy: Buffer): boolean {
    const appKey = Buffer.from(d.config.app_key ?? '', 'hex');
    try {
      const dec = loraPacket.fromWire(loraPacket.decryptJoinAccept(loraPacket.fromWire(phy), appKey));
      if (!loraPacket.verifyMIC(dec, undefined, appKey) || !dec.AppNonce || !dec.NetID || !dec.DevAddr)
        return false;
      const nonce = Buffer.alloc(2);
      nonce.writeUInt16BE(d.joining?.devNonce ?? 0);
      const keys = loraPacket.generateSessionKeys10(appKey, dec.NetID, dec.AppNonce, nonce);
      d.session = { devAddr: dec.DevAddr.toString('hex'), nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey };
      d.fcnt = 0;
      d.joining?.done(true);
      delete d.joining;
      return true;
    } catch {
      return false;
    }
  }
}
