import type { Logger } from 'pino';
import type { Txpk } from '../../drivers/gwmp/packet.js';
import type { Clock } from '../domain/index.js';
import type { TxAckResult } from '../ports/packet-forwarder.js';
import type { Hearing } from './heard.js';
import type { DutyCycle, RegionPlan } from './region.js';
import { airtimeMs } from './region.js';

/** When a downlink goes on air. */
export type TxTiming =
  /** Class C: at once, on RX2's frequency and data rate. */
  | { kind: 'immediate' }
  /** Class A: RX1 `delayS` after the uplink heard, else RX2 one second later. */
  | { kind: 'classA'; delayS: number };

export type SendResult = { ok: true; gatewayEui: string } | { ok: false; error: string };

export interface DownlinkDeps {
  sendDownlink(gatewayEui: string, txpk: Txpk): Promise<TxAckResult>;
  region: RegionPlan;
  duty: DutyCycle;
  clock: Clock;
  count(reason: string): void;
  log: Logger;
}

/** TX_ACK errors where the same forwarder may still send in the later window (RX2). */
const TIMING_ERRORS = new Set(['TOO_LATE', 'TOO_EARLY']);

/** 32-bit µs counter arithmetic of the concentrator (`tmst` wraps at 2^32). */
const addUs = (tmst: number, seconds: number): number => (tmst + seconds * 1_000_000) >>> 0;

/**
 * Puts one PHYPayload on air through the best forwarder that will take it: candidates in the
 * order given (HeardBy: latest frame, best SNR first), RX1 then RX2 for Class A. Each TX_ACK error
 * is counted as `tx_<error>` and the next forwarder tried; dwell time and duty cycle are checked
 * before anything is sent. Never rejects.
 */
export class DownlinkSender {
  constructor(private readonly deps: DownlinkDeps) {}

  /** The txpk candidates for one forwarder, in the order to try them. */
  windows(h: Hearing, timing: TxTiming): Omit<Txpk, 'size' | 'data'>[] {
    const { region } = this.deps;
    const base = { rfch: 0, powe: region.txPowerDbm, modu: 'LORA' as const, codr: '4/5', ipol: true };
    if (timing.kind === 'immediate') {
      return [{ imme: true, freq: region.rx2.freq, datr: region.rx2.datr, ...base }];
    }
    const out: Omit<Txpk, 'size' | 'data'>[] = [];
    if (h.tmst === undefined) return out;
    if (h.datr !== undefined) {
      const rx1 = region.rx1({ freq: h.freq, datr: h.datr });
      out.push({ imme: false, tmst: addUs(h.tmst, timing.delayS), ...rx1, ...base });
    }
    out.push({
      imme: false,
      tmst: addUs(h.tmst, timing.delayS + 1),
      freq: region.rx2.freq,
      datr: region.rx2.datr,
      ...base,
    });
    return out;
  }

  async send(phy: Buffer, candidates: readonly Hearing[], timing: TxTiming): Promise<SendResult> {
    const { region, duty, clock, count } = this.deps;
    if (candidates.length === 0) {
      count('tx_never_heard');
      return { ok: false, error: 'never_heard' };
    }
    let last = 'no_window';
    for (const h of candidates) {
      for (const w of this.windows(h, timing)) {
        const datr = String(w.datr);
        const air = airtimeMs(datr, phy.length);
        if (region.maxDwellMs !== undefined && air > region.maxDwellMs) {
          count('tx_dwell_time');
          last = 'dwell_time';
          continue;
        }
        if (!duty.take(h.gatewayEui, air, clock.now())) {
          count('tx_duty_cycle');
          last = 'duty_cycle';
          break;
        }
        const r = await this.deps.sendDownlink(h.gatewayEui, {
          ...w,
          size: phy.length,
          data: phy.toString('base64'),
        } as Txpk);
        if (r.ok) {
          count('tx_ok');
          return { ok: true, gatewayEui: h.gatewayEui };
        }
        last = r.error;
        count(`tx_${r.error.toLowerCase()}`);
        this.deps.log.warn(
          { gatewayEui: h.gatewayEui, error: r.error },
          'lora downlink refused; trying the next',
        );
        if (!TIMING_ERRORS.has(r.error)) break;
      }
    }
    return { ok: false, error: last };
  }
}
