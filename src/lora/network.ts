import type { Logger } from 'pino';
import type { Txpk } from '../../drivers/gwmp/packet.js';
import type { RxInfo, UplinkNetwork, VerifiedUplink } from '../codecs/lora-uplink.js';
import { buildDataDown, sessionFromConfig } from '../codecs/lorawan.js';
import type { LoraConfig } from '../config/schema.js';
import type { Clock } from '../domain/index.js';
import type { CommandResult, NodeCommand } from '../ports/lora-link.js';
import type { TxAckResult } from '../ports/packet-forwarder.js';
import type { LoraSessionStore } from '../store/lora-sessions.js';
import { errorMessage } from '../util/errors.js';
import { Copies } from './copies.js';
import { DownlinkSender } from './downlink.js';
import type { Hearing } from './heard.js';
import { HeardBy, hearingOf } from './heard.js';
import type { KnownSession } from './join-server.js';
import { JoinServer } from './join-server.js';
import { linkCheckAns, parseMacCommands } from './mac.js';
import { DutyCycle, type RegionPlan, regionPlan } from './region.js';

export interface LoraNetworkDeps {
  lora: LoraConfig;
  sessions: LoraSessionStore;
  /** The uplink FCnt store: a join starts the new DevAddr's counter afresh. */
  fcntUp: { forget(devAddr: string): void };
  sendDownlink(gatewayEui: string, txpk: Txpk): Promise<TxAckResult>;
  clock: Clock;
  log: Logger;
  /** What the network server did (downlinks, joins, MAC commands): the `lora_net` counters. */
  count(reason: string): void;
  /** How long a reply waits for copies from other forwarders. Default 100 ms. */
  copyWaitMs?: number;
  /** 25 random bits for a DevAddr (tests pin it). */
  random?: () => number;
}

type AckWaiter = (acked: boolean) => void;

/**
 * The network server of the gateway for its own LoRaWAN devices: sessions (ABP from the config,
 * OTAA from joins), the JoinServer, ACKs of confirmed uplinks, answers to MAC commands, Class C
 * commands to siren nodes with their ACK and retries, and the siren nodes' status uplinks.
 */
export class LoraNetwork implements UplinkNetwork {
  private readonly heard = new HeardBy();
  private readonly copies: Copies;
  private readonly sender: DownlinkSender;
  private readonly joins: JoinServer;
  private abp = new Map<string, KnownSession>();
  private readonly otaaByAddr = new Map<string, KnownSession>();
  private readonly ackWaiters = new Map<string, AckWaiter>();
  private readonly statusListeners = new Map<
    string,
    { fport: number; listener: (payload: Buffer) => void }
  >();
  private readonly region: RegionPlan;

  constructor(private readonly deps: LoraNetworkDeps) {
    this.region = regionPlan(deps.lora.region);
    this.copies = new Copies(deps.copyWaitMs ?? 100);
    this.sender = new DownlinkSender({
      sendDownlink: deps.sendDownlink,
      region: this.region,
      duty: new DutyCycle(deps.lora.duty_cycle_pct ?? this.region.dutyCyclePct),
      clock: deps.clock,
      count: deps.count,
      log: deps.log,
    });
    this.configureAbp(deps.lora);
    this.joins = new JoinServer({
      lora: deps.lora,
      region: this.region,
      store: deps.sessions,
      taken: (a) => this.abp.has(a) || this.otaaByAddr.has(a),
      opened: (previous, s, h) => this.opened(previous, s, h),
      sendAccept: (phy, copies, node) => {
        void this.sender
          .send(phy, copies, { kind: 'classA', delayS: this.region.joinAcceptDelay1S })
          .then((r) => {
            if (!r.ok) this.deps.log.warn({ node, error: r.error }, 'lora JoinAccept not sent');
          });
      },
      copies: this.copies,
      count: deps.count,
      log: deps.log,
      now: () => deps.clock.now(),
      ...(deps.random ? { random: deps.random } : {}),
    });
    for (const s of this.joins.sessions()) this.otaaByAddr.set(s.session.devAddr, s);
  }

  private configureAbp(lora: LoraConfig): void {
    this.abp = new Map();
    for (const d of lora.devices) {
      if (d.dev_addr === undefined || d.nwk_s_key === undefined || d.app_s_key === undefined) continue;
      const session = sessionFromConfig({ ...d, dev_addr: d.dev_addr });
      this.abp.set(session.devAddr, { node: d.node, session, codec: d.codec });
    }
  }

  /** A reloaded config: devices added or removed; OTAA sessions of devices still configured stay. */
  reconfigure(lora: LoraConfig): void {
    this.configureAbp(lora);
    this.joins.configure(lora);
    this.otaaByAddr.clear();
    for (const s of this.joins.sessions()) this.otaaByAddr.set(s.session.devAddr, s);
  }

  session(devAddr: string): KnownSession | undefined {
    return this.abp.get(devAddr) ?? this.otaaByAddr.get(devAddr);
  }

  /** OTAA sessions open now (for status and `siaga lora devices`). */
  joinedSessions(): KnownSession[] {
    return this.joins.sessions();
  }

  onJoin(phy: Buffer, rx: RxInfo, rxTs: number): string | undefined {
    return this.joins.handle(phy, rx, rxTs);
  }

  private opened(previous: string | undefined, s: KnownSession, h: Hearing): void {
    if (previous !== undefined) {
      this.otaaByAddr.delete(previous);
      this.heard.forget(previous);
    }
    this.otaaByAddr.set(s.session.devAddr, s);
    this.deps.fcntUp.forget(s.session.devAddr);
    this.heard.record(s.session.devAddr, h);
  }

  onCopy(devAddr: string, rx: RxInfo, rxTs: number): void {
    const latest = this.heard.candidates(devAddr, rxTs)[0]?.fcnt ?? -1;
    const h = hearingOf(rx, latest, rxTs);
    this.heard.record(devAddr, h);
    this.copies.addIfPending(`data/${devAddr}/${latest}`, h);
  }

  onData(up: VerifiedUplink, rx: RxInfo, rxTs: number): boolean {
    const h = hearingOf(rx, up.fcnt, rxTs);
    this.heard.record(up.devAddr, h);
    const waiter = this.ackWaiters.get(up.devAddr);
    if (waiter !== undefined) {
      this.ackWaiters.delete(up.devAddr);
      waiter(up.ack);
    }
    const linkCheck = this.macCommands(up);
    // Only a frame that wants an answer waits for its copies: most uplinks need no timer at all.
    if (up.confirmed || linkCheck) {
      const key = `data/${up.devAddr}/${up.fcnt}`;
      this.copies.add(key, h);
      this.copies.whenDone(key, (copies) => this.reply(up, copies, linkCheck));
    }
    const status = this.statusListeners.get(up.node);
    if (status !== undefined && up.fport === status.fport) {
      status.listener(up.payload);
      return true;
    }
    return false;
  }

  /** Counts every MAC command of the uplink; true when one asks for a LinkCheckAns. */
  private macCommands(up: VerifiedUplink): boolean {
    if (up.fopts.length === 0 && up.fport !== 0) return false;
    const blocks = [up.fopts, ...(up.fport === 0 ? [up.payload] : [])];
    let linkCheck = false;
    for (const block of blocks) {
      if (block.length === 0) continue;
      const parsed = parseMacCommands(block);
      for (const c of parsed.commands) {
        this.deps.count(`mac_${c.name}`);
        if (c.name === 'LinkCheckReq') linkCheck = true;
      }
      if (parsed.unknown !== undefined || parsed.truncated !== undefined) {
        this.deps.count('mac_unknown');
        this.deps.log.info(
          { node: up.node, cid: parsed.unknown, truncated: parsed.truncated },
          'lora MAC command not understood; the rest of the block is ignored',
        );
      }
    }
    return linkCheck;
  }

  /** Class A answer to one uplink: ACK and/or LinkCheckAns in RX1 (RX2 when RX1 is refused). */
  private reply(up: VerifiedUplink, copies: Hearing[], linkCheck: boolean): void {
    const session = this.session(up.devAddr);
    const best = copies[0];
    if (session === undefined || best === undefined) return;
    let phy: Buffer;
    try {
      const sf = Number(/^SF(\d+)/.exec(best.datr ?? '')?.[1] ?? 12);
      phy = buildDataDown(session.session, {
        fcntDown: this.deps.sessions.takeFcntDown(up.devAddr, this.deps.clock.now()),
        fport: null,
        ack: up.confirmed,
        ...(linkCheck ? { fopts: linkCheckAns({ snr: best.snr, sf }, copies.length) } : {}),
      });
    } catch (err) {
      this.deps.log.warn({ err: errorMessage(err), node: up.node }, 'lora reply not built');
      this.deps.count('reply_failed');
      return;
    }
    void this.sender.send(phy, copies, { kind: 'classA', delayS: this.region.receiveDelay1S }).then((r) => {
      if (r.ok) this.deps.count(up.confirmed ? 'ack_sent' : 'link_check_sent');
      else this.deps.log.warn({ node: up.node, error: r.error }, 'lora ACK/MAC answer not sent');
    });
  }

  /** Status uplinks of a siren node on its FPort go to `listener` instead of becoming readings. */
  onStatus(node: string, fport: number, listener: (payload: Buffer) => void): () => void {
    const entry = { fport, listener };
    this.statusListeners.set(node, entry);
    return () => {
      if (this.statusListeners.get(node) === entry) this.statusListeners.delete(node);
    };
  }

  /** The DevAddr a node is reached at now (ABP, or its latest join), if any. */
  addressOf(node: string): string | undefined {
    for (const [addr, s] of this.abp) if (s.node === node) return addr;
    for (const [addr, s] of this.otaaByAddr) if (s.node === node) return addr;
    return undefined;
  }

  /** Whether `node` has an address and a forwarder heard it (a command could go out now). */
  reachable(node: string): boolean {
    const devAddr = this.addressOf(node);
    return devAddr !== undefined && this.heard.candidates(devAddr, this.deps.clock.now()).length > 0;
  }

  /**
   * Sends `cmd` to a Class C node at once, through the forwarder that heard it last with the best
   * SNR (the next one when that refuses). A confirmed command whose ACK is not in the node's next
   * uplink within `ackTimeoutMs` is sent again, `retries` times, each with a new FCntDown; then
   * it has failed. Never rejects.
   */
  async command(node: string, cmd: NodeCommand): Promise<CommandResult> {
    const devAddr = this.addressOf(node);
    const session = devAddr === undefined ? undefined : this.session(devAddr);
    if (devAddr === undefined || session === undefined) {
      return { ok: false, reason: 'not_joined', message: `LoRa node ${node} has not joined yet` };
    }
    let last = 'never_heard';
    for (let attempt = 0; attempt <= cmd.retries; attempt++) {
      const candidates = this.heard.candidates(devAddr, this.deps.clock.now());
      if (candidates.length === 0) {
        this.deps.count('tx_never_heard');
        return {
          ok: false,
          reason: 'never_heard',
          message: `LoRa node ${node} has not been heard by any packet forwarder since the gateway started (or for a day); it cannot be reached until it sends an uplink`,
        };
      }
      let phy: Buffer;
      try {
        const fcntDown = this.deps.sessions.takeFcntDown(devAddr, this.deps.clock.now());
        phy = buildDataDown(session.session, {
          fcntDown,
          fport: cmd.fport,
          payload: cmd.payload,
          confirmed: cmd.confirmed,
        });
      } catch (err) {
        return { ok: false, reason: 'storage', message: `cannot count the downlink: ${errorMessage(err)}` };
      }
      // Listen before sending: a node on a fast link can answer before the TX_ACK is back.
      const acked = cmd.confirmed ? this.waitAck(devAddr, cmd.ackTimeoutMs) : undefined;
      const sent = await this.sender.send(phy, candidates, { kind: 'immediate' });
      if (!sent.ok) {
        this.cancelAck(devAddr);
        last = sent.error;
        this.deps.count('cmd_retry');
        continue;
      }
      if (acked === undefined || (await acked)) return { ok: true };
      last = 'no_ack';
      this.deps.count('cmd_no_ack');
      this.deps.log.warn({ node, attempt }, 'lora command not acknowledged');
    }
    const why =
      last === 'no_ack'
        ? `no ACK from LoRa node ${node} after ${cmd.retries + 1} sends`
        : `no packet forwarder sent the command to LoRa node ${node} (${last}) after ${cmd.retries + 1} tries`;
    return { ok: false, reason: last, message: why };
  }

  /** True when the node's next uplink within `ms` carries the ACK bit; false otherwise. */
  private waitAck(devAddr: string, ms: number): Promise<boolean> {
    this.cancelAck(devAddr);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (this.ackWaiters.get(devAddr) === waiter) this.ackWaiters.delete(devAddr);
        resolve(false);
      }, ms);
      timer.unref();
      const waiter: AckWaiter = (acked) => {
        clearTimeout(timer);
        resolve(acked);
      };
      this.ackWaiters.set(devAddr, waiter);
    });
  }

  private cancelAck(devAddr: string): void {
    const w = this.ackWaiters.get(devAddr);
    this.ackWaiters.delete(devAddr);
    w?.(false);
  }

  stop(): void {
    this.copies.clear();
    for (const devAddr of [...this.ackWaiters.keys()]) this.cancelAck(devAddr);
  }
}
