import { encodePushData } from '../../drivers/gwmp/packet.js';
import { type AbpSession, loraPacket, sessionFromConfig } from '../codecs/lorawan.js';
import { CODECS, TYPE_FPORTS } from '../codecs/lpp.js';
import type { LoraDeviceConfig } from '../config/schema.js';
import { type Frame, SimulatorError } from '../domain/index.js';

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
  /** The session to use instead of the device's ABP keys (an OTAA device after its join). */
  session?: AbpSession;
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
  opts: { confirmed?: boolean; adr?: boolean; session?: AbpSession } = {},
): Buffer {
  const session = opts.session ?? sessionFromConfig(device);
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

/** One rxpk of `phy` as lora_pkt_fwd reports a LoRa frame (PROTOCOL.TXT §4). */
export function rxpkOf(
  phy: Buffer,
  opts: Pick<UplinkOptions, 'freq' | 'sf' | 'rssi' | 'lsnr' | 'tmst'>,
): Record<string, unknown> {
  return {
    tmst: opts.tmst ?? 0,
    chan: 0,
    rfch: 0,
    freq: opts.freq ?? 922.2,
    stat: 1,
    modu: 'LORA',
    datr: `SF${opts.sf ?? 10}BW125`,
    codr: '4/5',
    rssi: opts.rssi ?? -97,
    lsnr: opts.lsnr ?? 7.5,
    size: phy.length,
    data: phy.toString('base64'),
  };
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
    ...(opts.session !== undefined && { session: opts.session }),
  });
  const rxpk = rxpkOf(phy, opts);
  return encodePushData(opts.token ?? 0, opts.gatewayEui, { rxpk: [rxpk] });
}
