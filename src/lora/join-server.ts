import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { RxInfo } from '../codecs/lora-uplink.js';
import type { AbpSession } from '../codecs/lorawan.js';
import type { CodecName } from '../codecs/lpp.js';
import type { LoraConfig } from '../config/schema.js';
import type { LoraSessionStore } from '../store/lora-sessions.js';
import { errorMessage } from '../util/errors.js';
import type { Copies } from './copies.js';
import type { Hearing } from './heard.js';
import { hearingOf } from './heard.js';
import { allocateDevAddr, buildJoinAccept, deriveSession, parseJoinRequest, verifyJoinMic } from './join.js';
import type { RegionPlan } from './region.js';
import { airtimeMs } from './region.js';

/** An OTAA device of the config, its root key already a buffer. */
interface OtaaDevice {
  node: string;
  joinEui: string;
  appKey: Buffer;
  codec: CodecName;
}

/** A session the network knows, ABP from the config or OTAA from a join. */
export interface KnownSession {
  node: string;
  session: AbpSession;
  codec: CodecName;
  devEui?: string;
}

export interface JoinServerDeps {
  lora: LoraConfig;
  region: RegionPlan;
  store: LoraSessionStore;
  /** DevAddrs of ABP devices and of other OTAA sessions: a new one must differ from all. */
  taken(devAddr: string): boolean;
  /** A new session is open: the uplink side must start its counters afresh. */
  opened(previous: string | undefined, s: KnownSession, heard: Hearing): void;
  /** Sends the JoinAccept (Class A, JOIN_ACCEPT_DELAY1 after the request) through the copies heard. */
  sendAccept(phy: Buffer, copies: Hearing[], node: string): void;
  /** Copies of one request heard by several forwarders (copies.ts). */
  copies: Copies;
  /** Traffic of the network server (not rejections): `join_accepted`. */
  count(reason: string): void;
  log: Logger;
  now(): number;
  random?: () => number;
}

/**
 * The join server of LoRaWAN 1.0.x on the gateway: checks each JoinRequest (known DevEUI and
 * JoinEUI, MIC under the AppKey, DevNonce never used before by that device), allocates a DevAddr,
 * derives and stores the session, and answers with a JoinAccept in RX1 (5 s after the request's
 * `tmst`) or RX2. Every refusal has a reason the caller counts.
 */
export class JoinServer {
  private otaa = new Map<string, OtaaDevice>();
  private readonly byDevEui = new Map<string, KnownSession>();

  constructor(private readonly deps: JoinServerDeps) {
    this.configure(deps.lora);
    for (const s of deps.store.sessions()) {
      const d = this.otaa.get(s.devEui);
      if (d === undefined) continue; // a device removed from the config keeps no session
      this.byDevEui.set(s.devEui, {
        node: d.node,
        codec: d.codec,
        devEui: s.devEui,
        session: {
          devAddr: s.devAddr,
          nwkSKey: Buffer.from(s.nwkSKey, 'hex'),
          appSKey: Buffer.from(s.appSKey, 'hex'),
        },
      });
    }
  }

  /** The OTAA devices of a (re)loaded config; sessions of devices still there are kept. */
  configure(lora: LoraConfig): void {
    this.otaa = new Map();
    for (const d of lora.devices) {
      if (d.dev_eui === undefined || d.join_eui === undefined || d.app_key === undefined) continue;
      this.otaa.set(d.dev_eui, {
        node: d.node,
        joinEui: d.join_eui,
        appKey: Buffer.from(d.app_key, 'hex'),
        codec: d.codec,
      });
    }
    for (const eui of this.byDevEui.keys()) if (!this.otaa.has(eui)) this.byDevEui.delete(eui);
  }

  sessions(): KnownSession[] {
    return [...this.byDevEui.values()];
  }

  /**
   * A JoinAccept with a CFList is 33 bytes: at SF10 that is 452 ms on air, past AS923's 400 ms
   * dwell time. Then the device keeps its default channels rather than missing the accept.
   */
  private cfListFits(rx: RxInfo): boolean {
    const { region } = this.deps;
    if (region.cfList.length === 0) return false;
    const max = region.maxDwellMs ?? Number.POSITIVE_INFINITY;
    const rx1 = rx.datr === undefined ? undefined : region.rx1({ freq: rx.radio.freq, datr: rx.datr }).datr;
    return [region.rx2.datr, ...(rx1 ? [rx1] : [])].every((d) => airtimeMs(d, 33) <= max);
  }

  /** Returns the reason for the counter: `join_accepted` or why the request was refused. */
  handle(phy: Buffer, rx: RxInfo, rxTs: number): string {
    const parsed = parseJoinRequest(phy);
    if (!parsed.ok) return parsed.reason;
    const req = parsed.value;
    const device = this.otaa.get(req.devEui);
    if (device === undefined || device.joinEui !== req.joinEui) {
      this.deps.log.info(
        { devEui: req.devEui, joinEui: req.joinEui },
        'lora join from an unknown device refused',
      );
      return 'join_unknown_deveui';
    }
    const hearing = hearingOf(rx, -1, rxTs);
    // The same request heard by a second forwarder is one more way back, not a replay.
    const key = `join/${req.devEui}/${req.devNonce}`;
    if (this.deps.copies.add(key, hearing)) return 'duplicate';
    if (!verifyJoinMic(req, device.appKey)) {
      this.deps.log.warn({ node: device.node, devEui: req.devEui }, 'lora join with a bad MIC refused');
      return 'join_bad_mic';
    }
    const previous = this.byDevEui.get(req.devEui)?.session.devAddr;
    let grantAddr: string;
    let joinNonce: number;
    try {
      grantAddr = allocateDevAddr(
        this.deps.lora.net_id,
        this.deps.taken,
        this.deps.random ?? (() => randomInt(0x2000000)),
      );
      joinNonce = this.deps.store.nextJoinNonce(req.devEui);
    } catch (err) {
      this.deps.log.error({ err }, 'lora join: no DevAddr or nonce');
      return 'join_store_error';
    }
    const grant = {
      devAddr: grantAddr,
      joinNonce,
      netId: this.deps.lora.net_id.toLowerCase(),
      rx2Dr: this.deps.region.rx2.dr,
      rxDelayS: this.deps.region.receiveDelay1S,
      cfList: this.cfListFits(rx) ? this.deps.region.cfList : [],
    };
    const session = deriveSession(device.appKey, grant, req.devNonce);
    try {
      const stored = this.deps.store.recordJoin(
        {
          devEui: req.devEui,
          node: device.node,
          devAddr: grant.devAddr,
          nwkSKey: session.nwkSKey.toString('hex'),
          appSKey: session.appSKey.toString('hex'),
          joinNonce,
          joinedAt: this.deps.now(),
        },
        req.devNonce,
      );
      if (stored === 'replayed_nonce') {
        this.deps.log.warn(
          { node: device.node, devEui: req.devEui, devNonce: req.devNonce },
          'lora join with a DevNonce used before refused (a replayed JoinRequest)',
        );
        return 'join_replayed_nonce';
      }
    } catch (err) {
      // Without the nonce on disk a replay after a restart would open the session again.
      this.deps.log.error(
        { err: errorMessage(err), node: device.node },
        'cannot store lora join; no JoinAccept sent',
      );
      return 'join_store_error';
    }
    const known: KnownSession = { node: device.node, session, codec: device.codec, devEui: req.devEui };
    this.byDevEui.set(req.devEui, known);
    this.deps.opened(previous, known, hearing);
    const accept = buildJoinAccept(grant, device.appKey);
    this.deps.copies.whenDone(key, (copies) => this.deps.sendAccept(accept, copies, device.node));
    this.deps.log.info(
      { node: device.node, devEui: req.devEui, devAddr: grant.devAddr },
      'lora device joined',
    );
    this.deps.count('join_accepted');
    return 'join_accepted';
  }
}
