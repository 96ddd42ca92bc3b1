import { randomInt } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';
import type { Logger } from 'pino';
import type { Clock } from '../../src/domain/index.js';
import type { GatewayTraffic, PacketForwarderServer, TxAckResult } from '../../src/ports/packet-forwarder.js';
import { admit } from './admission.js';
import type { PushBody, Txpk } from './packet.js';
import { decodeGwmp, decodeHeader, encodePullAck, encodePullResp, encodePushAck, GwmpId } from './packet.js';

export interface GwmpServerDeps {
  host: string;
  /** 0 picks a free port; see `address()`. */
  port: number;
  maxDatagramBytes: number;
  clock: Clock;
  log: Logger;
  /** PUSH_DATA with a body, after the PUSH_ACK went out. `rxTs` is the datagram's arrival time. */
  onPush(gatewayEui: string, body: PushBody, rxTs: number): void;
  /** The `stat` object of a PUSH_DATA (forwarder radio statistics). */
  onStat(gatewayEui: string, stat: Record<string, unknown>, ts: number): void;
  /** One call per refused datagram (or failed handler) with a machine-readable reason. */
  count(reason: string): void;
  /** How long a PULL_RESP waits for its TX_ACK. Default 3000 ms. */
  txAckTimeoutMs?: number;
  /**
   * A forwarder whose last PULL_DATA is older than this gets no downlink (`stale_route`): its NAT
   * mapping or its process may be gone, and a PULL_RESP into the void would read as "sent".
   * lora_pkt_fwd sends PULL_DATA every 10 s (keepalive_interval). Default 60 s.
   */
  staleRouteMs?: number;
  /** `lora.gateways`: the only forwarder EUIs served; absent, the first few heard are (admission.ts). */
  gateways?: readonly string[] | undefined;
}

interface Pending {
  gatewayEui: string;
  resolve(r: TxAckResult): void;
  timer: NodeJS.Timeout;
}

/**
 * The network side of the Semtech UDP packet forwarder protocol (GWMP v2): acknowledges
 * PUSH_DATA and PULL_DATA at once, hands bodies on, remembers each gateway's PULL_DATA address
 * and sends downlinks there. Decoding lives in packet.ts; this class only does I/O.
 */
export class GwmpServer implements PacketForwarderServer {
  private socket: Socket | undefined;
  private readonly traffic = new Map<string, GatewayTraffic>();
  private readonly pending = new Map<number, Pending>();
  /** When each forwarder's last PULL_DATA came (the route's age). */
  private readonly lastPull = new Map<string, number>();
  private allow: ReadonlySet<string> | undefined;
  /** When a refused forwarder was last logged: one warning per 10 minutes, the rest are counted. */
  private refusalLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: GwmpServerDeps) {
    this.setGateways(deps.gateways);
  }

  /** Applies a new `lora.gateways` (SIGHUP): forwarders no longer listed are forgotten at once. */
  setGateways(list: readonly string[] | undefined): void {
    this.allow = list === undefined ? undefined : new Set(list.map((e) => e.toLowerCase()));
    if (this.allow === undefined) return;
    for (const eui of this.traffic.keys()) if (!this.allow.has(eui)) this.traffic.delete(eui);
  }

  /** Binds the socket; resolves when it listens, rejects when the bind fails (port in use…). */
  start(): Promise<void> {
    if (this.socket !== undefined) return Promise.resolve();
    const family = this.deps.host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({ type: family });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => {
        this.socket = undefined;
        socket.close();
        reject(e);
      };
      socket.once('error', onError);
      socket.bind(this.deps.port, this.deps.host, () => {
        socket.off('error', onError);
        // After bind, a socket error (e.g. ICMP unreachable on send) must not crash the gateway.
        socket.on('error', (e) => this.deps.log.warn({ err: e }, 'gwmp socket error'));
        socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
        this.deps.log.info({ host: this.deps.host, port: socket.address().port }, 'gwmp listening');
        resolve();
      });
    });
  }

  /** Closes the socket; pending downlinks resolve with `stopped`. */
  stop(): Promise<void> {
    for (const [token, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(token);
      p.resolve({ ok: false, error: 'stopped' });
    }
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  address(): { host: string; port: number } {
    if (this.socket === undefined) throw new RangeError('gwmp server is not started');
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  stats(): GatewayTraffic[] {
    return [...this.traffic.values()].map((t) => ({ ...t }));
  }

  /**
   * Sends a PULL_RESP to the gateway's last PULL_DATA address and resolves on its TX_ACK, or
   * with `timeout`, `no_route` (no PULL_DATA seen yet) or `send_failed`. Never rejects.
   */
  sendDownlink(gatewayEui: string, txpk: Txpk): Promise<TxAckResult> {
    const t = this.traffic.get(gatewayEui);
    const socket = this.socket;
    if (socket === undefined) return Promise.resolve({ ok: false, error: 'stopped' });
    if (t?.pullAddress === undefined || t.pullPort === undefined) {
      return Promise.resolve({ ok: false, error: 'no_route' });
    }
    const age = this.deps.clock.now() - (this.lastPull.get(gatewayEui) ?? Number.NEGATIVE_INFINITY);
    if (age > (this.deps.staleRouteMs ?? 60_000)) {
      this.deps.count('stale_route');
      this.deps.log.warn(
        { gatewayEui, age_ms: age },
        'gwmp: no PULL_DATA from this forwarder for too long; downlink not sent',
      );
      return Promise.resolve({ ok: false, error: 'stale_route' });
    }
    const token = this.freeToken();
    const datagram = encodePullResp(token, txpk);
    t.downlinks++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        resolve({ ok: false, error: 'timeout' });
      }, this.deps.txAckTimeoutMs ?? 3000);
      this.pending.set(token, { gatewayEui, resolve, timer });
      socket.send(datagram, t.pullPort, t.pullAddress, (err) => {
        if (err === null || err === undefined) return;
        clearTimeout(timer);
        this.pending.delete(token);
        this.deps.log.warn({ err, gatewayEui }, 'gwmp downlink send failed');
        resolve({ ok: false, error: 'send_failed' });
      });
    });
  }

  private freeToken(): number {
    // Tokens pair PULL_RESP with TX_ACK; pick one not in flight (there are never 65536 pending).
    let token = randomInt(0x10000);
    while (this.pending.has(token)) token = (token + 1) & 0xffff;
    return token;
  }

  private gateway(eui: string, now: number): GatewayTraffic {
    let t = this.traffic.get(eui);
    if (t === undefined) {
      t = {
        gatewayEui: eui,
        pushData: 0,
        pullData: 0,
        rxpk: 0,
        downlinks: 0,
        txAckOk: 0,
        txAckError: 0,
        lastSeen: now,
      };
      this.traffic.set(eui, t);
    }
    t.lastSeen = now;
    return t;
  }

  private reply(buf: Buffer, rinfo: RemoteInfo): void {
    this.socket?.send(buf, rinfo.port, rinfo.address, (err) => {
      if (err) this.deps.count('send_failed');
    });
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    const rxTs = this.deps.clock.now();
    const head = decodeHeader(msg, this.deps.maxDatagramBytes);
    if (!head.ok) {
      this.reject(head.reason, rinfo, head.detail);
      return;
    }
    const { id, token, gatewayEui } = head.value;
    if (gatewayEui !== undefined && !this.admitted(gatewayEui, rxTs, rinfo)) return;
    // Acknowledge before looking at the JSON: the forwarder's link statistics count our ACKs, and
    // a body we cannot read is our problem to count, not a reason for it to think we are gone.
    if (id === GwmpId.PUSH_DATA) this.reply(encodePushAck(token), rinfo);
    else if (id === GwmpId.PULL_DATA) this.reply(encodePullAck(token), rinfo);

    const packet = decodeGwmp(msg, this.deps.maxDatagramBytes);
    if (!packet.ok) {
      this.reject(packet.reason, rinfo, packet.detail);
      return;
    }
    const p = packet.value;
    switch (p.kind) {
      case 'push_data': {
        const t = this.gateway(p.gatewayEui, rxTs);
        t.pushData++;
        const { stat } = p.body;
        if (stat !== undefined) this.guard(() => this.deps.onStat(p.gatewayEui, stat, rxTs));
        if (p.body.rxpk !== undefined && p.body.rxpk.length > 0) {
          t.rxpk += p.body.rxpk.length;
          this.guard(() => this.deps.onPush(p.gatewayEui, p.body, rxTs));
        }
        return;
      }
      case 'pull_data': {
        const t = this.gateway(p.gatewayEui, rxTs);
        t.pullData++;
        if (t.pullAddress !== rinfo.address || t.pullPort !== rinfo.port) {
          this.deps.log.info(
            { gatewayEui: p.gatewayEui, address: rinfo.address, port: rinfo.port },
            'gwmp pull route',
          );
        }
        t.pullAddress = rinfo.address;
        t.pullPort = rinfo.port;
        this.lastPull.set(p.gatewayEui, rxTs);
        return;
      }
      case 'tx_ack': {
        const pending = this.pending.get(p.token);
        if (pending === undefined || pending.gatewayEui !== p.gatewayEui) {
          this.reject('unknown_token', rinfo, `token ${p.token}`);
          return;
        }
        clearTimeout(pending.timer);
        this.pending.delete(p.token);
        const t = this.gateway(p.gatewayEui, rxTs);
        const ack = p.body.txpk_ack ?? {};
        const error = typeof ack.error === 'string' ? ack.error : 'NONE';
        if (error === 'NONE') {
          t.txAckOk++;
          pending.resolve(typeof ack.warn === 'string' ? { ok: true, warn: ack.warn } : { ok: true });
        } else {
          t.txAckError++;
          this.deps.log.warn({ gatewayEui: p.gatewayEui, error }, 'gwmp downlink refused');
          pending.resolve({ ok: false, error });
        }
        return;
      }
      default:
        // PUSH_ACK, PULL_ACK and PULL_RESP travel from a server to a gateway, never to us.
        this.reject('unexpected_id', rinfo, p.kind);
    }
  }

  /**
   * A refused forwarder gets no ACK (its own log then says the server is not answering, which is
   * the truth) and no state here: only a counter.
   */
  private admitted(eui: string, now: number, rinfo: RemoteInfo): boolean {
    const a = admit(eui, this.traffic, this.allow, now);
    if (a.ok) {
      if (a.evict !== undefined) this.traffic.delete(a.evict);
      return true;
    }
    this.reject('unknown_gateway', rinfo, eui);
    if (now - this.refusalLoggedAt >= 10 * 60_000) {
      this.refusalLoggedAt = now;
      this.deps.log.warn(
        { gatewayEui: eui, from: `${rinfo.address}:${rinfo.port}`, listed: this.allow !== undefined },
        this.allow
          ? 'gwmp: refusing a packet forwarder not in lora.gateways'
          : 'gwmp: refusing another packet forwarder; list yours in lora.gateways',
      );
    }
    return false;
  }

  /** A failing consumer (storage error…) is counted and logged; it must not take the socket down. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.count('handler_error');
      this.deps.log.error({ err }, 'gwmp consumer failed');
    }
  }

  private reject(reason: string, rinfo: RemoteInfo, detail?: string): void {
    this.deps.count(reason);
    this.deps.log.debug({ reason, detail, from: `${rinfo.address}:${rinfo.port}` }, 'gwmp datagram refused');
  }
}

/** Every reason GwmpServer counts. */
export const GWMP_REASONS = [
  'too_short',
  'too_large',
  'bad_version',
  'unknown_id',
  'bad_json',
  'trailing_bytes',
  'unexpected_id',
  'unknown_token',
  'send_failed',
  'handler_error',
  'unknown_gateway',
  'stale_route',
] as const;
