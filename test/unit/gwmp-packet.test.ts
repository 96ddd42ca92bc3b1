import { describe, expect, it } from 'vitest';
import {
  decodeGwmp,
  decodeHeader,
  encodePullAck,
  encodePullData,
  encodePullResp,
  encodePushAck,
  encodePushData,
  encodeTxAck,
  GwmpId,
} from '../../drivers/gwmp/packet.js';
import { rx2Txpk } from '../fixtures/semtech-rxpk.js';

const EUI = 'aa555a0000000101';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('GWMP v2 codec (PROTOCOL.TXT)', () => {
  it('decodes a PUSH_DATA as lora_pkt_fwd sends it', () => {
    const json =
      '{"rxpk":[{"tmst":3512348611,"chan":2,"rfch":0,"freq":921.8,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/6","rssi":-35,"lsnr":5.1,"size":32,"data":"-DS4CGaDCdG+48eJNM3Vai-zDpsR71Pn9CPA9uCON84"}]}';
    const buf = Buffer.concat([hex('02 b7 1c 00 aa 55 5a 00 00 00 01 01'), Buffer.from(json)]);
    const r = decodeGwmp(buf);
    expect(r.ok).toBe(true);
    if (!r.ok || r.value.kind !== 'push_data') throw new Error('expected push_data');
    expect(r.value.token).toBe(0xb71c);
    expect(r.value.gatewayEui).toBe(EUI);
    expect(r.value.body.rxpk).toHaveLength(1);
  });

  it('decodes PULL_DATA and TX_ACK headers with the gateway EUI', () => {
    expect(decodeGwmp(hex('02 00 2a 02 aa 55 5a 00 00 00 01 01'))).toEqual({
      ok: true,
      value: { kind: 'pull_data', token: 42, gatewayEui: EUI },
    });
    expect(decodeGwmp(hex('02 12 34 05 aa 55 5a 00 00 00 01 01'))).toEqual({
      ok: true,
      value: { kind: 'tx_ack', token: 0x1234, gatewayEui: EUI, body: {} },
    });
    expect(decodeGwmp(encodeTxAck(7, EUI, 'TOO_LATE'))).toEqual({
      ok: true,
      value: { kind: 'tx_ack', token: 7, gatewayEui: EUI, body: { txpk_ack: { error: 'TOO_LATE' } } },
    });
    // Some forwarders terminate the JSON with a NUL byte.
    const nul = Buffer.concat([encodeTxAck(8, EUI, 'NONE'), Buffer.from([0])]);
    expect(decodeGwmp(nul)).toMatchObject({ ok: true, value: { body: { txpk_ack: { error: 'NONE' } } } });
  });

  it('encodes PUSH_ACK and PULL_ACK echoing the token', () => {
    expect(encodePushAck(0xb71c).toString('hex')).toBe('02b71c01');
    expect(encodePullAck(0x002a).toString('hex')).toBe('02002a04');
    expect(decodeGwmp(encodePushAck(5))).toEqual({ ok: true, value: { kind: 'push_ack', token: 5 } });
    expect(decodeGwmp(encodePullAck(6))).toEqual({ ok: true, value: { kind: 'pull_ack', token: 6 } });
  });

  it('encodes PULL_RESP with the txpk JSON', () => {
    const txpk = rx2Txpk({ imme: false, tmst: 1000000, size: 3, data: 'AQID' });
    const buf = encodePullResp(0xbeef, txpk);
    expect(buf.subarray(0, 4).toString('hex')).toBe('02beef03');
    expect(JSON.parse(buf.subarray(4).toString())).toEqual({ txpk });
    expect(decodeGwmp(buf)).toEqual({
      ok: true,
      value: { kind: 'pull_resp', token: 0xbeef, body: { txpk } },
    });
  });

  it('round-trips PUSH_DATA and PULL_DATA from the forwarder side', () => {
    const body = { stat: { time: '2026-11-25 10:00:00 GMT', rxnb: 3, rxok: 2, txnb: 0 } };
    expect(decodeGwmp(encodePushData(9, EUI, body))).toEqual({
      ok: true,
      value: { kind: 'push_data', token: 9, gatewayEui: EUI, body },
    });
    expect(decodeHeader(encodePullData(10, EUI))).toEqual({
      ok: true,
      value: { version: 2, token: 10, id: GwmpId.PULL_DATA, gatewayEui: EUI },
    });
  });

  it.each([
    ['empty', '', 'too_short'],
    ['3 bytes', '02 00 01', 'too_short'],
    ['version 1', '01 00 01 00 aa 55 5a 00 00 00 01 01 7b 7d', 'bad_version'],
    ['unknown identifier', '02 00 01 09', 'unknown_id'],
    ['PUSH_DATA without EUI', '02 00 01 00 aa 55', 'too_short'],
    ['PUSH_DATA without JSON', '02 00 01 00 aa 55 5a 00 00 00 01 01', 'bad_json'],
    ['PUSH_ACK with a tail', '02 00 01 01 00', 'trailing_bytes'],
    ['PULL_DATA with a tail', '02 00 01 02 aa 55 5a 00 00 00 01 01 00', 'trailing_bytes'],
  ])('rejects %s', (_what, bytes, reason) => {
    expect(decodeGwmp(hex(bytes))).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['not JSON', '{"rxpk":['],
    ['a JSON array', '[1,2]'],
    ['null', 'null'],
    ['rxpk not an array', '{"rxpk":{}}'],
    ['stat not an object', '{"stat":3}'],
  ])('rejects a PUSH_DATA body that is %s as bad_json', (_what, json) => {
    expect(
      decodeGwmp(Buffer.concat([hex('02 00 01 00 aa 55 5a 00 00 00 01 01'), Buffer.from(json)])),
    ).toMatchObject({ ok: false, reason: 'bad_json' });
  });

  it('rejects invalid UTF-8 as bad_json and enforces the size limit', () => {
    const bad = Buffer.concat([hex('02 00 01 00 aa 55 5a 00 00 00 01 01'), Buffer.from([0x7b, 0xff, 0x7d])]);
    expect(decodeGwmp(bad)).toMatchObject({ ok: false, reason: 'bad_json' });
    const big = encodePushData(1, EUI, { rxpk: [], pad: 'x'.repeat(600) });
    expect(decodeGwmp(big, 512)).toMatchObject({ ok: false, reason: 'too_large' });
    expect(decodeGwmp(big)).toMatchObject({ ok: true });
  });
});
