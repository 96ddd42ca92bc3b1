/**
 * Regional parameters (LoRaWAN RP002-1.0.x) for the downlinks the gateway sends: where RX1 and
 * RX2 are, which data rate, how long a frame may occupy the air. Indonesia's plan is AS923-2
 * (920–923 MHz); EU868 and US915 are here so nothing else in the gateway assumes one plan. Pure.
 */

export type RegionName = 'AS923-2' | 'EU868' | 'US915';

/** Where and how one downlink goes on air. */
export interface RadioWindow {
  /** MHz, as GWMP's txpk `freq`. */
  freq: number;
  /** GWMP's `datr`, e.g. "SF10BW125". */
  datr: string;
}

export interface RegionPlan {
  name: RegionName;
  /** RX2 (and Class C continuous reception): fixed frequency and data rate. */
  rx2: RadioWindow & { dr: number };
  /** RX1 for an uplink heard on `up` (RX1DROffset 0). */
  rx1(up: RadioWindow): RadioWindow;
  /** RECEIVE_DELAY1 and JOIN_ACCEPT_DELAY1, seconds; RX2 opens one second after each. */
  receiveDelay1S: number;
  joinAcceptDelay1S: number;
  /** txpk `powe` (dBm at the concentrator; the region's max EIRP less a 2 dBi antenna). */
  txPowerDbm: number;
  /** Longest a downlink may occupy the air (dwell time), ms; undefined where the plan sets none. */
  maxDwellMs: number | undefined;
  /** Share of each hour a transmitter may use, percent (100: no duty-cycle rule). */
  dutyCyclePct: number;
  /** Extra uplink channels handed out in the JoinAccept CFList (MHz, up to 5), or none. */
  cfList: readonly number[];
}

/** AS923-2: uplink RX1 on the uplink's frequency and data rate; RX2 921.4 MHz DR2. */
const AS923_2: RegionPlan = {
  name: 'AS923-2',
  rx2: { freq: 921.4, datr: 'SF10BW125', dr: 2 },
  rx1: (up) => ({ freq: up.freq, datr: up.datr }),
  receiveDelay1S: 1,
  joinAcceptDelay1S: 5,
  txPowerDbm: 14,
  // AS923 end-devices start with DownlinkDwellTime = 1: no downlink longer than 400 ms.
  maxDwellMs: 400,
  // RP002 leaves the duty cycle to local rules; 1 % is the cautious figure most AS923 countries
  // use, and a siren pattern (≈ 40 commands an hour at most) needs far less (docs/lora.md).
  dutyCyclePct: 1,
  // The two default channels are 921.4 and 921.6 MHz; these five complete the 8-channel plan.
  cfList: [921.8, 922.0, 922.2, 922.4, 922.6],
};

const EU868: RegionPlan = {
  name: 'EU868',
  rx2: { freq: 869.525, datr: 'SF12BW125', dr: 0 },
  rx1: (up) => ({ freq: up.freq, datr: up.datr }),
  receiveDelay1S: 1,
  joinAcceptDelay1S: 5,
  txPowerDbm: 14,
  maxDwellMs: undefined,
  dutyCyclePct: 1,
  cfList: [867.1, 867.3, 867.5, 867.7, 867.9],
};

/** US915 uplink DR0–4 (125/500 kHz) → RX1 DR10–13 (500 kHz), RX1DROffset 0. */
const US915_RX1_DATR = new Map<string, string>([
  ['SF10BW125', 'SF12BW500'],
  ['SF9BW125', 'SF11BW500'],
  ['SF8BW125', 'SF10BW500'],
  ['SF7BW125', 'SF9BW500'],
  ['SF8BW500', 'SF9BW500'],
]);

const US915: RegionPlan = {
  name: 'US915',
  rx2: { freq: 923.3, datr: 'SF12BW500', dr: 8 },
  rx1: (up) => {
    // RX1 channel = uplink channel modulo 8, on the 600 kHz downlink grid from 923.3 MHz.
    const channel = Math.round((up.freq - 902.3) / 0.2);
    return {
      freq: Math.round((923.3 + (((channel % 8) + 8) % 8) * 0.6) * 10) / 10,
      datr: US915_RX1_DATR.get(up.datr) ?? 'SF12BW500',
    };
  },
  receiveDelay1S: 1,
  joinAcceptDelay1S: 5,
  txPowerDbm: 20,
  maxDwellMs: undefined,
  dutyCyclePct: 100,
  cfList: [],
};

export const REGIONS: ReadonlyMap<RegionName, RegionPlan> = new Map([
  ['AS923-2', AS923_2],
  ['EU868', EU868],
  ['US915', US915],
]);

export function regionPlan(name: RegionName): RegionPlan {
  const plan = REGIONS.get(name);
  if (plan === undefined) throw new RangeError(`unknown LoRa region ${name}`);
  return plan;
}

const DATR = /^SF(\d{1,2})BW(\d{3})$/;

/**
 * Time on air of a LoRa frame, ms (Semtech AN1200.13): 8-symbol preamble, explicit header, coding
 * rate 4/5, low data rate optimisation at SF11/12 on 125 kHz. Downlinks carry no payload CRC.
 */
export function airtimeMs(datr: string, payloadBytes: number, opts: { crc?: boolean } = {}): number {
  const m = DATR.exec(datr);
  if (m === null) throw new RangeError(`not a LoRa data rate: ${datr}`);
  const sf = Number(m[1]);
  const bwKhz = Number(m[2]);
  const tSym = 2 ** sf / bwKhz; // ms
  const de = bwKhz === 125 && sf >= 11 ? 1 : 0;
  const crc = opts.crc === true ? 1 : 0;
  const cr = 1;
  const num = 8 * payloadBytes - 4 * sf + 28 + 16 * crc;
  const symbols = 8 + Math.max(Math.ceil(num / (4 * (sf - 2 * de))) * (cr + 4), 0);
  return (8 + 4.25) * tSym + symbols * tSym;
}

/** Transmissions of the last hour per forwarder, to keep each within the region's duty cycle. */
export class DutyCycle {
  private readonly used = new Map<string, { ts: number; ms: number }[]>();

  constructor(private readonly pct: number) {}

  /** Whether `ms` more of air fits this hour for `gateway`; records it when it does. */
  take(gateway: string, ms: number, now: number): boolean {
    if (this.pct >= 100) return true;
    const list = (this.used.get(gateway) ?? []).filter((u) => now - u.ts < 3_600_000);
    const spent = list.reduce((sum, u) => sum + u.ms, 0);
    if (spent + ms > (this.pct / 100) * 3_600_000) {
      this.used.set(gateway, list);
      return false;
    }
    list.push({ ts: now, ms });
    this.used.set(gateway, list);
    return true;
  }
}
