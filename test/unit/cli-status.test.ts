import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../src/cli/commands/status.js';

function status(
  uplink: Record<string, unknown>,
  silences: { zone: string; until: number; by: string }[] = [],
) {
  return {
    gateway: 'gw-1',
    version: '0.1.0',
    uptime_s: 60,
    clock_ok: true,
    zones: [],
    nodes: { total: 0, online: 0, offline: 0 },
    serial: [],
    storage: { error: null, pending: 0, committed: 0 },
    disk: null,
    counters: {},
    silences,
    uplink: {
      connected: false,
      backlog: { events: 0, readings: 3 },
      inflight: 0,
      lastPubackTs: null,
      lastError: 'connect ECONNREFUSED',
      reconnects: 0,
      stalls: 0,
      sentReadings: 0,
      sentEvents: 0,
      bytesSent: 0,
      ...uplink,
    },
  };
}

describe('status for people', () => {
  it('while the uplink is down it says which attempt is running, not "0 reconnects"', () => {
    const text = formatStatus(status({ attempts: 5 }) as never, 'Asia/Jakarta');
    expect(text).toMatch(
      /uplink: DISCONNECTED \(connect ECONNREFUSED\), reconnecting \(attempt 5\), 0 reconnects so far/,
    );
    expect(text).not.toMatch(/, 0 reconnects,/);
  });

  it('says how much of the backlog waits packed to send, and nothing about packs while none wait', () => {
    const packed = status({ backlog: { events: 1, readings: 2150, packed: 2000 } });
    expect(formatStatus(packed as never, 'Asia/Jakarta')).toMatch(
      /backlog 1 events \+ 2150 readings \(2000 packed to send\), nothing acknowledged yet/,
    );
    expect(formatStatus(status({}) as never, 'Asia/Jakarta')).toMatch(
      /backlog 0 events \+ 3 readings, nothing acknowledged yet/,
    );
  });

  it('a connected uplink counts its reconnects', () => {
    const text = formatStatus(
      status({ connected: true, reconnects: 2, lastError: null }) as never,
      'Asia/Jakarta',
    );
    expect(text).toMatch(/uplink: connected, 2 reconnects,/);
  });

  it('names the broker in use, so a failover list shows which one the gateway is on', () => {
    const up = status({ connected: true, reconnects: 1, lastError: null, url: 'mqtts://b:8883' });
    expect(formatStatus(up as never, 'Asia/Jakarta')).toMatch(
      /uplink: connected to mqtts:\/\/b:8883, 1 reconnects/,
    );
    const down = status({ attempts: 3, url: 'mqtts://a:8883' });
    expect(formatStatus(down as never, 'Asia/Jakarta')).toMatch(
      /DISCONNECTED \(connect ECONNREFUSED\), reconnecting to mqtts:\/\/a:8883 \(attempt 3\)/,
    );
  });

  it('silences end in the site zone, 2026-12-01 10:24 WIB', () => {
    const until = Date.UTC(2026, 11, 1, 3, 24);
    const text = formatStatus(
      status({}, [{ zone: 'z-braja', until, by: 'cli:pak-budi' }]) as never,
      'Asia/Jakarta',
    );
    expect(text).toContain('zone z-braja silenced until 2026-12-01 10:24 WIB by cli:pak-budi');
  });

  it('shows what the LoRa network server did beside LoRa, not among the rejected inputs', () => {
    const text = formatStatus(
      {
        ...status({}),
        lora: { address: { host: '127.0.0.1', port: 1700 }, gateways: [], radio_stats: [] },
        counters: { lora: { bad_mic: 2 }, lora_net: { tx_ok: 3, join_accepted: 1 } },
      } as never,
      'Asia/Jakarta',
    );
    expect(text).toContain('network server (downlinks, joins, MAC commands): tx_ok 3, join_accepted 1');
    const rejected = text.slice(text.indexOf('rejected'));
    expect(rejected).toContain('lora: bad_mic 2');
    expect(rejected).not.toContain('tx_ok');
  });
});
