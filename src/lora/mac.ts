/**
 * LoRaWAN 1.0.x MAC commands sent by end-devices (FOpts, or FRMPayload on FPort 0). The gateway
 * is its own network server, so it answers what a device needs to stay joined (LinkCheckReq) and
 * logs and counts the rest. Pure: bytes in, commands out; nothing here throws on input.
 */

/** Uplink CIDs of LoRaWAN 1.0.x with the length of their payload. */
const UPLINK_MAC = new Map<number, { name: string; len: number }>([
  [0x02, { name: 'LinkCheckReq', len: 0 }],
  [0x03, { name: 'LinkADRAns', len: 1 }],
  [0x04, { name: 'DutyCycleAns', len: 0 }],
  [0x05, { name: 'RXParamSetupAns', len: 1 }],
  [0x06, { name: 'DevStatusAns', len: 2 }],
  [0x07, { name: 'NewChannelAns', len: 1 }],
  [0x08, { name: 'RXTimingSetupAns', len: 0 }],
  [0x09, { name: 'TxParamSetupAns', len: 0 }],
  [0x0a, { name: 'DlChannelAns', len: 1 }],
  [0x0d, { name: 'DeviceTimeReq', len: 0 }],
]);

export interface MacCommand {
  cid: number;
  name: string;
  payload: Buffer;
}

/**
 * Splits a MAC command block. An unknown CID ends the parse (its length is unknown, so nothing
 * after it can be read) and is reported in `unknown`; a truncated command in `truncated`.
 */
export function parseMacCommands(block: Uint8Array): {
  commands: MacCommand[];
  unknown?: number;
  truncated?: string;
} {
  const commands: MacCommand[] = [];
  let i = 0;
  while (i < block.length) {
    const cid = block[i] as number;
    const spec = UPLINK_MAC.get(cid);
    if (spec === undefined) return { commands, unknown: cid };
    if (i + 1 + spec.len > block.length) return { commands, truncated: spec.name };
    commands.push({ cid, name: spec.name, payload: Buffer.from(block.subarray(i + 1, i + 1 + spec.len)) });
    i += 1 + spec.len;
  }
  return { commands };
}

/** The demodulation floor of each spreading factor (SX127x/SX130x datasheets), dB SNR. */
const REQUIRED_SNR = new Map<number, number>([
  [5, -2.5],
  [6, -5],
  [7, -7.5],
  [8, -10],
  [9, -12.5],
  [10, -15],
  [11, -17.5],
  [12, -20],
]);

/**
 * LinkCheckAns (CID 0x02): Margin = dB of the best reception above the demodulation floor of its
 * spreading factor (0..254), GwCnt = how many forwarders heard the request.
 */
export function linkCheckAns(best: { snr: number; sf: number }, gateways: number): Buffer {
  const floor = REQUIRED_SNR.get(best.sf) ?? -20;
  const margin = Math.max(0, Math.min(254, Math.floor(best.snr - floor)));
  return Buffer.from([0x02, margin, Math.max(1, Math.min(255, gateways))]);
}
