import { createSocket, type Socket } from 'node:dgram';
import { decodeGwmp, encodePullData, encodePushData, encodeTxAck } from '../drivers/gwmp/packet.js';
import type { Gateway } from '../src/main.js';
import { startGateway } from '../src/main.js';
import { rxpkOf } from '../src/sim/lora.js';
import { must } from '../src/util/must.js';
import { now, removeScratch, type SiteOptions, scratchDir, silentLog, siteConfig } from './common.js';

/**
 * The packet forwarder of the LoRa benches (L1, L2): one UDP socket on 127.0.0.1 that pulls,
 * pushes rxpk batches and answers each PULL_RESP with TX_ACK NONE at once, noting when it came.
 * No LoRaWAN decoding here: the bench measures the gateway, not the forwarder.
 */
export class BenchForwarder {
  private readonly socket: Socket = createSocket('udp4');
  private readonly acked = new Set<number>();
  private token = 1;
  /** performance.now() of every PULL_RESP, in arrival order. */
  readonly pullResp: number[] = [];
  onPullResp: (at: number) => void = () => {};

  constructor(
    private readonly eui: string,
    private readonly port: number,
  ) {}

  async open(): Promise<void> {
    this.socket.on('message', (m) => {
      const at = now();
      const p = decodeGwmp(m);
      if (!p.ok) return;
      if (p.value.kind === 'pull_resp') {
        this.pullResp.push(at);
        this.socket.send(encodeTxAck(p.value.token, this.eui, 'NONE'), this.port, '127.0.0.1');
        this.onPullResp(at);
      } else this.acked.add(p.value.token);
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    await this.roundTrip(encodePullData(this.token, this.eui), this.token++);
  }

  /** Pushes one datagram of rxpk (`phys` with their radio data) and waits for its PUSH_ACK. */
  push(phys: readonly Buffer[], sf = 9): Promise<void> {
    const token = this.token++ & 0xffff;
    const rxpk = phys.map((phy, i) => rxpkOf(phy, { sf, tmst: (token * 1000 + i) >>> 0, freq: 922.0 }));
    return this.roundTrip(encodePushData(token, this.eui, { rxpk }), token);
  }

  private roundTrip(b: Buffer, token: number): Promise<void> {
    this.socket.send(b, this.port, '127.0.0.1');
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const poll = () => {
        if (this.acked.delete(token)) resolve();
        else if (Date.now() > deadline) reject(new Error(`no ACK for token ${token}`));
        else setImmediate(poll);
      };
      poll();
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

/** The `lora:` section of a LoRa bench: `devices` YAML lines, duty cycle lifted (a bench sends minutes of air). */
export function benchLoraYaml(devices: readonly string[]): string {
  return `lora:\n  gwmp: {host: 127.0.0.1, port: 1700}\n  duty_cycle_pct: 100\n  devices:\n${devices.join('\n')}\n`;
}

/** Runs `body` against a gateway of `site` in a scratch directory with a BenchForwarder, then cleans up. */
export async function withLoraGateway<T>(
  prefix: string,
  site: Omit<SiteOptions, 'dir'>,
  body: (gw: Gateway, fwd: BenchForwarder) => Promise<T>,
): Promise<T> {
  const dir = scratchDir(prefix);
  try {
    const gw = await startGateway({
      config: siteConfig({ ...site, dir }),
      log: silentLog,
      noControl: true,
      ports: { gwmp: 0 },
    });
    const fwd = new BenchForwarder('aa555a0000000101', must(gw.gwmp, 'the GWMP server').address().port);
    try {
      await fwd.open();
      return await body(gw, fwd);
    } finally {
      await fwd.close();
      await gw.stop();
    }
  } finally {
    removeScratch(dir);
  }
}
