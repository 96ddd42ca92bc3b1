import type { RxInfo } from '../codecs/lora-uplink.js';

/** One forwarder that heard a device, with what a downlink through it needs. */
export interface Hearing {
  gatewayEui: string;
  /** The 32-bit FCnt of the frame it heard (a join counts as -1). */
  fcnt: number;
  snr: number;
  rssi: number;
  rxTs: number;
  tmst?: number;
  freq: number;
  datr?: string;
}

/** A device heard by no forwarder for this long is not tried through it any more. */
const FORGET_MS = 24 * 3600_000;

export function hearingOf(rx: RxInfo, fcnt: number, rxTs: number): Hearing {
  const snr = 'snr' in rx.radio ? rx.radio.snr : -20;
  return {
    gatewayEui: rx.gatewayEui,
    fcnt,
    snr,
    rssi: rx.radio.rssi,
    rxTs,
    freq: rx.radio.freq,
    ...(rx.tmst !== undefined ? { tmst: rx.tmst } : {}),
    ...(rx.datr !== undefined ? { datr: rx.datr } : {}),
  };
}

/**
 * Which forwarders heard each device, so a downlink goes through the one that heard it last with
 * the best SNR, and the next one when that forwarder refuses. Kept in memory: after a restart a
 * device is reachable again from its next uplink (a Class C siren node reports every few minutes).
 */
export class HeardBy {
  private readonly byDevice = new Map<string, Map<string, Hearing>>();

  record(devAddr: string, h: Hearing): void {
    let m = this.byDevice.get(devAddr);
    if (m === undefined) {
      m = new Map();
      this.byDevice.set(devAddr, m);
    }
    m.set(h.gatewayEui, h);
  }

  /** Forwarders to try, best first: those that heard the latest frame by SNR, then older ones. */
  candidates(devAddr: string, now: number): Hearing[] {
    const m = this.byDevice.get(devAddr);
    if (m === undefined) return [];
    return [...m.values()]
      .filter((h) => now - h.rxTs < FORGET_MS)
      .sort((a, b) => b.fcnt - a.fcnt || b.snr - a.snr || b.rxTs - a.rxTs);
  }

  /** A new session (join): the old DevAddr's hearings mean nothing any more. */
  forget(devAddr: string): void {
    this.byDevice.delete(devAddr);
  }
}
