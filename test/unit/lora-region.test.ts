import { describe, expect, it } from 'vitest';
import { linkCheckAns, parseMacCommands } from '../../src/lora/mac.js';
import { airtimeMs, DutyCycle, regionPlan } from '../../src/lora/region.js';

describe('region plans', () => {
  it('AS923-2: RX2 at 921.4 MHz SF10, RX1 on the uplink channel, 400 ms dwell, JoinAccept after 5 s', () => {
    const p = regionPlan('AS923-2');
    expect(p.rx2).toEqual({ freq: 921.4, datr: 'SF10BW125', dr: 2 });
    expect(p.rx1({ freq: 922.2, datr: 'SF9BW125' })).toEqual({ freq: 922.2, datr: 'SF9BW125' });
    expect(p.maxDwellMs).toBe(400);
    expect(p.joinAcceptDelay1S).toBe(5);
    expect(p.cfList.every((f) => f >= 920 && f <= 923)).toBe(true);
  });

  it('keeps the EU868 and US915 shapes (US915 RX1 on the 500 kHz downlink grid)', () => {
    expect(regionPlan('EU868').rx2).toMatchObject({ freq: 869.525, datr: 'SF12BW125' });
    expect(regionPlan('US915').rx1({ freq: 902.3, datr: 'SF10BW125' })).toEqual({
      freq: 923.3,
      datr: 'SF12BW500',
    });
    expect(regionPlan('US915').rx1({ freq: 903.7, datr: 'SF7BW125' })).toEqual({
      freq: 927.5,
      datr: 'SF9BW500',
    });
  });

  it('computes time on air as ChirpStack airtime_test.go publishes it', () => {
    // 13 bytes, SF12 BW125, CR 4/5, explicit header, CRC: 1155.072 ms (23 payload symbols).
    expect(airtimeMs('SF12BW125', 13, { crc: true })).toBeCloseTo(1155.072, 3);
    // 50 bytes at SF12 with low data rate optimisation: 58 payload symbols.
    expect(airtimeMs('SF12BW125', 50, { crc: true })).toBeCloseTo((12.25 + 58) * 32.768, 3);
    expect(() => airtimeMs('fast', 1)).toThrow(/not a LoRa data rate/);
  });

  it('holds each forwarder to its share of the hour', () => {
    const d = new DutyCycle(1); // 36 s per hour
    expect(d.take('gw', 30_000, 0)).toBe(true);
    expect(d.take('gw', 10_000, 1000)).toBe(false);
    expect(d.take('other', 10_000, 1000)).toBe(true);
    expect(d.take('gw', 10_000, 3_600_001)).toBe(true);
    expect(new DutyCycle(100).take('gw', 1e9, 0)).toBe(true);
  });
});

describe('MAC commands', () => {
  it('splits a block into known commands and stops at an unknown CID', () => {
    const r = parseMacCommands(Buffer.from([0x02, 0x06, 0xff, 0x12, 0x03, 0x07, 0x99, 0x01]));
    expect(r.commands.map((c) => c.name)).toEqual(['LinkCheckReq', 'DevStatusAns', 'LinkADRAns']);
    expect(r.unknown).toBe(0x99);
    expect(parseMacCommands(Buffer.from([0x06, 0x01])).truncated).toBe('DevStatusAns');
  });

  it('answers LinkCheckReq with the margin above the SF demodulation floor and the gateway count', () => {
    // SF10 needs -15 dB: an SNR of 7.5 dB is 22 dB of margin.
    expect([...linkCheckAns({ snr: 7.5, sf: 10 }, 2)]).toEqual([0x02, 22, 2]);
    expect([...linkCheckAns({ snr: -30, sf: 7 }, 0)]).toEqual([0x02, 0, 1]);
  });
});
