import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Txpk } from '../../drivers/gwmp/packet.js';
import { LoraSiren } from '../../drivers/sirens/lora.js';
import { ManualClock } from '../../src/domain/clock.js';
import { DownlinkSender } from '../../src/lora/downlink.js';
import type { Hearing } from '../../src/lora/heard.js';
import { HeardBy } from '../../src/lora/heard.js';
import { parseMacCommands } from '../../src/lora/mac.js';
import { DutyCycle, regionPlan } from '../../src/lora/region.js';
import type { CommandResult, LoraSirenLink, NodeCommand } from '../../src/ports/lora-link.js';
import type { TxAckResult } from '../../src/ports/packet-forwarder.js';
import { silentLog } from '../helpers/log.js';

const hearing = (gatewayEui: string, snr: number, fcnt = 1): Hearing => ({
  gatewayEui,
  fcnt,
  snr,
  rssi: -90,
  rxTs: 0,
  tmst: 1_000_000,
  freq: 922.2,
  datr: 'SF9BW125',
});

function sender(answers: Record<string, string[]>, dutyPct = 100) {
  const sent: { eui: string; txpk: Txpk }[] = [];
  const counts: string[] = [];
  const s = new DownlinkSender({
    sendDownlink: (eui, txpk): Promise<TxAckResult> => {
      sent.push({ eui, txpk });
      const error = answers[eui]?.shift() ?? 'NONE';
      return Promise.resolve(error === 'NONE' ? { ok: true } : { ok: false, error });
    },
    region: regionPlan('AS923-2'),
    duty: new DutyCycle(dutyPct),
    clock: new ManualClock(0),
    count: (r) => counts.push(r),
    log: silentLog,
  });
  return { s, sent, counts };
}

describe('DownlinkSender', () => {
  it('tries RX2 on the same forwarder when RX1 is TOO_LATE, another forwarder on any other error', async () => {
    const { s, sent, counts } = sender({ gw1: ['TOO_LATE', 'TX_FREQ'] });
    const r = await s.send(Buffer.alloc(14), [hearing('gw1', 9), hearing('gw2', 1)], {
      kind: 'classA',
      delayS: 1,
    });
    expect(r).toEqual({ ok: true, gatewayEui: 'gw2' });
    expect(sent.map((x) => [x.eui, x.txpk.tmst, x.txpk.freq])).toEqual([
      ['gw1', 2_000_000, 922.2], // RX1: the uplink's channel, 1 s after it
      ['gw1', 3_000_000, 921.4], // RX2: 921.4 MHz SF10, one second later
      ['gw2', 2_000_000, 922.2],
    ]);
    expect(counts).toEqual(['tx_too_late', 'tx_tx_freq', 'tx_ok']);
  });

  it('never sends a frame longer on air than the dwell time, nor beyond the duty cycle', async () => {
    const long = sender({});
    // 60 bytes at SF10 are ~700 ms on air: past AS923's 400 ms dwell time.
    expect(await long.s.send(Buffer.alloc(60), [hearing('gw1', 5)], { kind: 'immediate' })).toEqual({
      ok: false,
      error: 'dwell_time',
    });
    expect(long.sent).toHaveLength(0);

    const duty = sender({}, 0.01); // 360 ms an hour
    const once = await duty.s.send(Buffer.alloc(14), [hearing('gw1', 5)], { kind: 'immediate' });
    const twice = await duty.s.send(Buffer.alloc(14), [hearing('gw1', 5)], { kind: 'immediate' });
    expect([once.ok, twice]).toEqual([true, { ok: false, error: 'duty_cycle' }]);
    expect(duty.counts).toContain('tx_duty_cycle');
  });

  it('refuses a device never heard without sending anything', async () => {
    const { s, sent } = sender({});
    expect(await s.send(Buffer.alloc(14), [], { kind: 'immediate' })).toEqual({
      ok: false,
      error: 'never_heard',
    });
    expect(sent).toHaveLength(0);
  });

  it('orders forwarders by the latest frame, then by SNR', () => {
    const h = new HeardBy();
    h.record('d', hearing('old-but-loud', 12, 1));
    h.record('d', hearing('new-quiet', -5, 2));
    h.record('d', hearing('new-loud', 8, 2));
    expect(h.candidates('d', 0).map((x) => x.gatewayEui)).toEqual(['new-loud', 'new-quiet', 'old-but-loud']);
  });
});

describe('LoraSiren', () => {
  function link(result: CommandResult, reachable = true) {
    const commands: NodeCommand[] = [];
    let status: ((p: Buffer) => void) | undefined;
    const l: LoraSirenLink = {
      command: (_node, cmd) => {
        commands.push(cmd);
        return Promise.resolve(result);
      },
      reachable: () => reachable,
      onStatus: (_node, _fport, listener) => {
        status = listener;
        return () => {};
      },
    };
    return { l, commands, status: (b: number) => status?.(Buffer.from([b])) };
  }
  const siren = (l: LoraSirenLink) =>
    new LoraSiren({
      ...{ id: 's', node: 'n', fport: 10, onPayload: Buffer.from([1]), offPayload: Buffer.from([0]) },
      ...{ confirmed: true, ackTimeoutMs: 1000, retries: 3, link: l, log: silentLog },
    });

  it('rejects with the network\'s sentence and reports the fault; never "on"', async () => {
    const { l } = link({ ok: false, reason: 'no_ack', message: 'no ACK from LoRa node n after 4 sends' });
    const s = siren(l);
    await expect(s.on()).rejects.toThrow(/no ACK from LoRa node n after 4 sends/);
    expect(await s.check()).toEqual({ on: null, ok: false, fault: 'no ACK from LoRa node n after 4 sends' });
  });

  it("reads the node's state back and calls a disagreement a fault", async () => {
    const { l, commands, status } = link({ ok: true });
    const s = siren(l);
    await s.on();
    expect([...(commands[0]?.payload ?? [])]).toEqual([1]);
    status(1);
    expect(await s.check()).toEqual({ on: true, ok: true });
    status(0); // the node says it went quiet on its own
    expect(await s.check()).toMatchObject({
      on: false,
      ok: false,
      fault: 'node n reports OFF but was commanded ON',
    });
  });

  it('holds the OFF for a node not heard yet and sends it when the node reports sounding', async () => {
    const net = link({ ok: true }, false);
    const s = siren(net.l);
    await s.off();
    expect(net.commands).toHaveLength(0);
    net.status(1);
    await new Promise((r) => setImmediate(r));
    expect(net.commands.map((c) => [...c.payload])).toEqual([[0]]);
  });
});

describe('MAC command parsing', () => {
  it('never throws and only returns commands it knows, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), (b) => {
        const r = parseMacCommands(b);
        const used = r.commands.reduce((n, c) => n + 1 + c.payload.length, 0);
        expect(used).toBeLessThanOrEqual(b.length);
        if (r.unknown === undefined && r.truncated === undefined) expect(used).toBe(b.length);
      }),
    );
  });
});
