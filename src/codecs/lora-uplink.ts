import type { Logger } from 'pino';
import type { LoraDeviceConfig } from '../config/schema.js';
import type { Clock, Frame, Radio } from '../domain/index.js';
import type { FcntStore } from '../ports/fcnt-store.js';
import type { AbpSession } from './lorawan.js';
import { DedupWindow, openUplink, sessionFromConfig } from './lorawan.js';
import type { CodecName } from './lpp.js';
import { CODECS, FPORT_TYPES } from './lpp.js';

/** Last accepted 32-bit FCnt per DevAddr; SQLite-backed in production (src/store/lora-state.ts). */
export interface LoraUplinkMeta {
  radio: Radio;
  rxTs: number;
  devAddr: string;
  gatewayEui: string;
  confirmed: boolean;
  adr: boolean;
  /** FCtrl.ACK: the device acknowledges a confirmed downlink. */
  ack: boolean;
}

/** Where and how one copy of an uplink was heard: what a reply to it needs (RX1 timing, best forwarder). */
export interface RxInfo {
  gatewayEui: string;
  radio: Radio;
  /** The concentrator's µs counter at reception (`tmst`), when the forwarder sent it. */
  tmst?: number;
  /** The rxpk's `datr` ("SF10BW125"); absent for FSK. */
  datr?: string;
}

/** A verified data uplink as the network side (src/lora/network.ts) sees it. */
export interface VerifiedUplink {
  node: string;
  devAddr: string;
  fcnt: number;
  confirmed: boolean;
  ack: boolean;
  fport: number | null;
  /** Decrypted FRMPayload; on FPort 0 these are MAC commands. */
  payload: Buffer;
  /** MAC commands piggybacked in FOpts. */
  fopts: Buffer;
}

/**
 * The network server's side of uplinks (OTAA sessions, joins, ACKs, MAC commands, siren status).
 * Without it only the configured ABP devices are heard and joins are counted and ignored.
 */
export interface UplinkNetwork {
  /** An OTAA device's session by DevAddr (ABP devices are looked up first, from the config). */
  session(devAddr: string): { node: string; session: AbpSession; codec: CodecName } | undefined;
  /** A JoinRequest: returns the reason it was refused, or undefined when a JoinAccept is on its way. */
  onJoin(phy: Buffer, rx: RxInfo, rxTs: number): string | undefined;
  /** Every authentic, fresh data uplink; true when it was the network's (a siren's status) and is no reading. */
  onData(up: VerifiedUplink, rx: RxInfo, rxTs: number): boolean;
  /** Another copy of an accepted frame, heard by `rx.gatewayEui`: one more forwarder that can reach it. */
  onCopy(devAddr: string, rx: RxInfo, rxTs: number): void;
}

export interface LoraUplinkDeps {
  devices: LoraDeviceConfig[];
  network?: UplinkNetwork;
  dedupS: number;
  fcnt: FcntStore;
  clock: Clock;
  onFrame(frame: Frame, meta: LoraUplinkMeta): void;
  /** Called once per rejected rxpk (or body) with a machine-readable reason. */
  count(reason: string): void;
  /** For failures of our own (storage, onFrame), which are counted and logged, not thrown. */
  log?: Logger;
}

interface Device {
  node: string;
  session: AbpSession;
  codec: CodecName;
}

const DATR = /^SF(\d{1,2})BW(\d{2,3})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** FSK bit rates a LoRa concentrator can demodulate (SX1301/SX1302: 500 bit/s to 250 kbit/s). */
const FSK_MIN_BPS = 500;
const FSK_MAX_BPS = 250_000;

/**
 * The antenna that heard the frame best. A concentrator with several antennas (sx1302 `rsig[]`)
 * reports each one; antenna 0 may be the one facing away from the forest edge, and a link budget
 * judged by it would send a technician up the wrong pole.
 */
function strongestAntenna(rsig: unknown): { rssi: number; snr: number | undefined } | undefined {
  if (!Array.isArray(rsig)) return undefined;
  let best: { rssi: number; snr: number | undefined } | undefined;
  for (const a of rsig) {
    if (typeof a !== 'object' || a === null) continue;
    const { rssic, lsnr } = a as Record<string, unknown>;
    if (!isNum(rssic)) continue;
    if (best === undefined || rssic > best.rssi) best = { rssi: rssic, snr: isNum(lsnr) ? lsnr : undefined };
  }
  return best;
}

/**
 * Reads the radio metadata of one rxpk (PROTOCOL.TXT §4). Reason `bad_rxpk` when a field we
 * report is missing. LoRa needs `datr` "SFxBWy" and an SNR; FSK (AS923 DR7) carries `datr` as a
 * number in bit/s and no `lsnr` at all, because an FSK demodulator has no SNR to give.
 */
function radioOf(rx: Record<string, unknown>): Radio | string {
  const antenna = strongestAntenna(rx.rsig);
  const rssi = antenna?.rssi ?? (isNum(rx.rssi) ? rx.rssi : undefined);
  if (rssi === undefined) return 'no rssi';
  if (!isNum(rx.freq) || rx.freq <= 0) return 'no freq';
  if (rx.modu === 'FSK') {
    const bps = rx.datr;
    if (!isNum(bps) || !Number.isInteger(bps) || bps < FSK_MIN_BPS || bps > FSK_MAX_BPS) return 'fsk datr';
    return { rssi, freq: rx.freq, modu: 'FSK', datr: bps };
  }
  const snr = antenna?.snr ?? (isNum(rx.lsnr) ? rx.lsnr : undefined);
  if (snr === undefined) return 'no lsnr';
  if (typeof rx.datr !== 'string') return 'no datr';
  const m = DATR.exec(rx.datr);
  if (m === null) return `datr ${rx.datr.slice(0, 16)}`;
  const sf = Number(m[1]);
  if (sf < 5 || sf > 12) return `datr ${rx.datr}`;
  return { rssi, snr, freq: rx.freq, sf };
}

/**
 * Turns PUSH_DATA bodies into frames: per rxpk, CRC and radio checks, LoRaWAN verification
 * (lorawan.ts), FCnt bookkeeping, then the device's payload codec (lpp.ts). Every rejection is
 * counted with its reason; nothing here throws on input.
 */
export class LoraUplinkHandler {
  private readonly devices = new Map<string, Device>();
  private readonly dedup: DedupWindow;

  constructor(private readonly deps: LoraUplinkDeps) {
    for (const d of deps.devices) {
      // OTAA devices have no session in the config: the network gives theirs at each join.
      if (d.dev_addr === undefined) continue;
      const session = sessionFromConfig({ ...d, dev_addr: d.dev_addr });
      this.devices.set(session.devAddr, { node: d.node, session, codec: d.codec });
    }
    this.dedup = new DedupWindow(deps.dedupS * 1000);
  }

  /** Handles one PUSH_DATA body; `rxTs` defaults to now. Returns the number of frames emitted. */
  handlePush(gatewayEui: string, body: unknown, rxTs: number = this.deps.clock.now()): number {
    if (typeof body !== 'object' || body === null) {
      this.deps.count('bad_rxpk');
      return 0;
    }
    const rxpk = (body as { rxpk?: unknown }).rxpk;
    if (rxpk === undefined) return 0;
    if (!Array.isArray(rxpk)) {
      this.deps.count('bad_rxpk');
      return 0;
    }
    let frames = 0;
    for (const rx of rxpk) {
      let reason: string | undefined;
      try {
        reason = this.handleRxpk(gatewayEui, rx, rxTs);
      } catch (err) {
        // Only onFrame can throw here (input never does): one failing frame must not cost the
        // other rxpk of the same datagram.
        this.deps.log?.error({ err, gatewayEui }, 'lora frame consumer failed');
        reason = 'handler_error';
      }
      if (reason === undefined) frames++;
      else if (!HANDLED.has(reason)) this.deps.count(reason);
    }
    return frames;
  }

  /** Returns the rejection reason, or undefined when a frame was emitted. */
  private handleRxpk(gatewayEui: string, rx: unknown, rxTs: number): string | undefined {
    if (typeof rx !== 'object' || rx === null || Array.isArray(rx)) return 'bad_rxpk';
    const r = rx as Record<string, unknown>;
    if (r.stat === -1) return 'crc_fail';
    if (typeof r.data !== 'string' || !BASE64.test(r.data)) return 'bad_rxpk';
    const radio = radioOf(r);
    if (typeof radio === 'string') return 'bad_rxpk';
    const phy = Buffer.from(r.data, 'base64');
    if (r.size !== undefined && r.size !== phy.length) return 'bad_rxpk';

    const now = this.deps.clock.now();
    const net = this.deps.network;
    const info: RxInfo = {
      gatewayEui,
      radio,
      ...(isNum(r.tmst) ? { tmst: r.tmst } : {}),
      ...(typeof r.datr === 'string' ? { datr: r.datr } : {}),
    };
    const device = (a: string) => this.devices.get(a) ?? net?.session(a);
    const opened = openUplink(phy, {
      session: (a) => device(a)?.session,
      lastFcnt: (a) => this.deps.fcnt.get(a),
      recentlyAccepted: (a, f, mic) => this.dedup.has(a, f, mic, now),
    });
    if (!opened.ok) {
      if (opened.reason === 'join_request' && net) return net.onJoin(phy, info, rxTs);
      if (opened.reason === 'duplicate' && net) net.onCopy(devAddrOf(phy), info, rxTs);
      return opened.reason;
    }
    const up = opened.value;
    // The frame is authentic and fresh: its counter is spent whatever its payload turns out to be.
    try {
      this.deps.fcnt.set(up.devAddr, up.fcnt, rxTs);
    } catch (err) {
      // A full disk must not silence an elephant alarm: the store keeps the counter in memory,
      // so replay protection holds until restart; the failure is counted and the frame goes on.
      this.deps.log?.error({ err, devAddr: up.devAddr }, 'cannot store lora fcnt');
      this.deps.count('fcnt_store_error');
    }
    this.dedup.remember(up.devAddr, up.fcnt, up.mic, now);

    // openUplink found the session, so the device is there; the reason covers it anyway.
    const dev = device(up.devAddr);
    if (dev === undefined) return 'unknown_devaddr';
    if (net?.onData({ node: dev.node, ...up, fopts: up.fopts }, info, rxTs)) {
      // A siren node's status is also a heartbeat of that node: stored and forwarded like one, and
      // its FCnt keeps the node's sequence whole (no false seq_gap for every acknowledged command).
      const state = up.payload.length === 1 ? up.payload[0] : undefined;
      if (state !== 0 && state !== 1) return 'network';
      this.deps.onFrame(
        { node: dev.node, seq: up.fcnt, type: 'hb', v: { siren: state } },
        { radio, rxTs, devAddr: up.devAddr, gatewayEui, confirmed: up.confirmed, adr: up.adr, ack: up.ack },
      );
      return undefined;
    }
    if (up.macOnly || up.fport === null) return 'mac_only';
    const type = FPORT_TYPES.get(up.fport);
    if (type === undefined) return 'unknown_fport';
    const codec = CODECS.get(dev.codec);
    if (codec === undefined) return 'unknown_codec';
    const v = codec.decode(type, up.payload);
    if (!v.ok) return v.reason;
    this.deps.onFrame(
      { node: dev.node, seq: up.fcnt, type, v: v.value },
      { radio, rxTs, devAddr: up.devAddr, gatewayEui, confirmed: up.confirmed, adr: up.adr, ack: up.ack },
    );
    return undefined;
  }
}

/** DevAddr of a data frame whose structure openUplink already checked (little-endian on air). */
function devAddrOf(phy: Buffer): string {
  return phy.readUInt32LE(1).toString(16).padStart(8, '0');
}

/**
 * Outcomes that are no rejection: the network took the frame (a join it accepted, a siren's
 * status). It counts them itself, apart from the refusals that `lora_rejected` reports.
 */
const HANDLED = new Set(['join_accepted', 'network']);

/** Every reason LoraUplinkHandler counts, for dashboards and tests. */
export const LORA_UPLINK_REASONS = [
  'bad_rxpk',
  'crc_fail',
  'bad_phy',
  'join_request',
  'unsupported_mtype',
  'unknown_devaddr',
  'bad_mic',
  'replay',
  'duplicate',
  'mac_only',
  'unknown_fport',
  'unknown_codec',
  'bad_lpp',
  'bad_sg1',
  'missing_field',
  'bad_value',
  'fcnt_store_error',
  'handler_error',
  'bad_join',
  'join_unknown_deveui',
  'join_bad_mic',
  'join_replayed_nonce',
  'join_store_error',
] as const;
