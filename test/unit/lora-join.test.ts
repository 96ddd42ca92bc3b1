import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loraPacket } from '../../src/codecs/lorawan.js';
import {
  allocateDevAddr,
  buildJoinAccept,
  cfListBytes,
  deriveSession,
  parseJoinRequest,
  verifyJoinMic,
} from '../../src/lora/join.js';
import {
  CHIRPSTACK_JOIN_ACCEPT,
  CHIRPSTACK_JOIN_ACCEPT_2,
  CHIRPSTACK_JOIN_REQUEST,
  CHIRPSTACK_SESSION_KEYS,
  TTS_JOIN_ACCEPT,
  TTS_JOIN_REQUEST,
  TTS_SESSION_KEYS,
} from '../fixtures/lora-join-vectors.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('OTAA join crypto against published vectors', () => {
  it.each([
    ['ChirpStack TestPHYPayloadJoinAccept', CHIRPSTACK_JOIN_ACCEPT],
    ['ChirpStack ExampleNewPHYPayload_joinAcceptSend', CHIRPSTACK_JOIN_ACCEPT_2],
    ['The Things Stack TestJoinAcceptEncryption', TTS_JOIN_ACCEPT],
  ])('builds the JoinAccept of %s byte for byte', (_name, v) => {
    const phy = buildJoinAccept({ ...v, cfList: [] }, hex(v.appKey));
    expect(phy.toString('hex')).toBe(v.phy);
  });

  it('a device decrypting our JoinAccept finds the fields it was given and a valid MIC', () => {
    const v = CHIRPSTACK_JOIN_ACCEPT;
    const enc = loraPacket.fromWire(buildJoinAccept({ ...v, cfList: [] }, hex(v.appKey)));
    const dec = loraPacket.fromWire(loraPacket.decryptJoinAccept(enc, hex(v.appKey)));
    expect(dec.DevAddr?.toString('hex')).toBe(v.devAddr);
    expect(dec.NetID?.toString('hex')).toBe(v.netId);
    expect(dec.MIC?.toString('hex')).toBe(v.mic);
    expect(loraPacket.verifyMIC(dec, undefined, hex(v.appKey))).toBe(true);
  });

  it.each([
    ['ChirpStack joinserver_test (LoRaWAN 1.0)', CHIRPSTACK_SESSION_KEYS],
    ['The Things Stack DeriveLegacy*SKey', TTS_SESSION_KEYS],
  ])('derives NwkSKey and AppSKey as %s', (_name, v) => {
    const s = deriveSession(
      hex(v.appKey),
      { devAddr: '01020304', joinNonce: v.joinNonce, netId: v.netId },
      v.devNonce,
    );
    expect(s.nwkSKey.toString('hex')).toBe(v.nwkSKey);
    expect(s.appSKey.toString('hex')).toBe(v.appSKey);
  });

  it('reads and verifies the published JoinRequests, and refuses them under another key', () => {
    const cs = parseJoinRequest(Buffer.from(CHIRPSTACK_JOIN_REQUEST.phyBase64, 'base64'));
    if (!cs.ok) throw new Error(cs.reason);
    expect(cs.value).toMatchObject({
      joinEui: CHIRPSTACK_JOIN_REQUEST.joinEui,
      devEui: CHIRPSTACK_JOIN_REQUEST.devEui,
    });
    expect(verifyJoinMic(cs.value, hex(CHIRPSTACK_JOIN_REQUEST.appKey))).toBe(true);
    expect(verifyJoinMic(cs.value, hex('02'.repeat(16)))).toBe(false);

    const tts = parseJoinRequest(hex(TTS_JOIN_REQUEST.phy));
    if (!tts.ok) throw new Error(tts.reason);
    expect(tts.value).toMatchObject({
      joinEui: TTS_JOIN_REQUEST.joinEui,
      devEui: TTS_JOIN_REQUEST.devEui,
      devNonce: TTS_JOIN_REQUEST.devNonce,
    });
    expect(verifyJoinMic(tts.value, hex(TTS_JOIN_REQUEST.appKey))).toBe(true);
  });

  it('refuses what is not a JoinRequest with bad_join, whatever the bytes', () => {
    expect(parseJoinRequest(hex('00')).ok).toBe(false);
    expect(parseJoinRequest(hex(`40${'00'.repeat(22)}`))).toMatchObject({ ok: false, reason: 'bad_join' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = parseJoinRequest(b);
        if (!r.ok) expect(r.reason).toBe('bad_join');
      }),
    );
  });
});

describe('JoinAccept contents', () => {
  it('puts the AS923-2 channels into a type-0 CFList in units of 100 Hz, little-endian', () => {
    const b = cfListBytes([921.8, 922.0, 922.2, 922.4, 922.6]);
    expect(b).toHaveLength(16);
    expect(b.readUIntLE(0, 3) * 100).toBe(921_800_000);
    expect(b.readUIntLE(12, 3) * 100).toBe(922_600_000);
    expect(b[15]).toBe(0);
    // With a CFList the JoinAccept is 33 bytes and still decrypts to a valid MIC.
    const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
    const phy = buildJoinAccept(
      { devAddr: '00abcdef', joinNonce: 7, netId: '000000', rx2Dr: 2, rxDelayS: 1, cfList: [921.8, 922.0] },
      key,
    );
    expect(phy).toHaveLength(33);
    const dec = loraPacket.fromWire(loraPacket.decryptJoinAccept(loraPacket.fromWire(phy), key));
    expect(loraPacket.verifyMIC(dec, undefined, key)).toBe(true);
    expect(dec.DLSettings?.[0]).toBe(2);
  });

  it('allocates DevAddrs inside the NetID and never one already taken', () => {
    const taken = new Set<string>();
    let n = 0;
    const random = () => [5, 5, 5, 9][n++ % 4] as number;
    const a = allocateDevAddr('000013', (x) => taken.has(x), random);
    taken.add(a);
    const b = allocateDevAddr('000013', (x) => taken.has(x), random);
    expect(a).toBe('26000005'); // NwkID 0x13 in the top 7 bits
    expect(b).toBe('26000009');
    expect(() =>
      allocateDevAddr(
        '000000',
        () => true,
        () => 1,
      ),
    ).toThrow(/no free DevAddr/);
  });
});
