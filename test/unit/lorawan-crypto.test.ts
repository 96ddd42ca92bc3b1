import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptPayload, loraPacket, parseDataUp, verifyMic } from '../../src/codecs/lorawan.js';
import { aesCmac, cryptFrmPayload, dataMic } from '../../src/codecs/lorawan-crypto.js';
import { must } from '../helpers/must.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('AES-CMAC over node:crypto (RFC 4493 test vectors)', () => {
  const key = hex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
  const m = hex(`6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51
    30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710`);
  it.each([
    [0, 'bb1d6929 e9593728 7fa37d12 9b756746'],
    [16, '070a16b4 6b4d4144 f79bdd9d d04a287c'],
    [40, 'dfa66747 de9ae630 30ca3261 1497c827'],
    [64, '51f0bebf 7e3b9d92 fc497417 79363cfe'],
  ])('message of %i bytes', (len, tag) => {
    expect(aesCmac(key, m.subarray(0, len)).toString('hex')).toBe(hex(tag).toString('hex'));
  });
});

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));

describe('LoRaWAN data-frame crypto equals lora-packet', () => {
  it('for random keys, DevAddr, 32-bit FCnt, FPort, FOpts and payload: same MIC, same plaintext', () => {
    fc.assert(
      fc.property(
        bytes(16, 16),
        bytes(16, 16),
        bytes(4, 4),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        bytes(0, 15),
        bytes(0, 64),
        fc.boolean(),
        (nwk, app, devAddr, fcnt, fport, fopts, payload, confirmed) => {
          const fcntLow = Buffer.alloc(2);
          fcntLow.writeUInt16BE(fcnt & 0xffff);
          const msb = Buffer.alloc(2);
          msb.writeUInt16LE(Math.floor(fcnt / 0x10000));
          const packet = loraPacket.fromFields(
            {
              MType: confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
              DevAddr: devAddr,
              FCtrl: { ADR: false, ACK: false, ADRACKReq: false, FPending: false },
              FCnt: fcntLow,
              FOpts: fopts,
              ...(fport === undefined ? { payload: Buffer.alloc(0) } : { FPort: fport, payload }),
            },
            app,
            nwk,
            undefined,
            msb,
          );
          // lora-packet signs only frames with a payload; sign every frame so all are compared.
          loraPacket.recalculateMIC(packet, nwk, undefined, msb);
          const phy = must(packet.getPHYPayload() as Buffer | undefined, 'a PHYPayload');
          const up = parseDataUp(phy);
          if (!up.ok) throw new Error(`${up.reason} ${up.detail}`);
          const devAddrNum = devAddr.readUInt32BE(0);
          expect(up.value.devAddrNum).toBe(devAddrNum);
          expect(up.value.fport).toBe(fport ?? null);
          expect(up.value.fopts).toEqual(fopts);
          // Same MIC as lora-packet computes, and it verifies.
          const theirs = loraPacket.calculateMIC(packet, nwk, undefined, msb);
          expect(dataMic(nwk, 0, devAddrNum, fcnt, phy.subarray(0, phy.length - 4))).toEqual(theirs);
          expect(verifyMic(up.value, { devAddr: '', nwkSKey: nwk, appSKey: app }, fcnt)).toBe(true);
          // One bit off in the counter's high half is a different MIC.
          expect(
            verifyMic(up.value, { devAddr: '', nwkSKey: nwk, appSKey: app }, (fcnt ^ 0x10000) >>> 0),
          ).toBe(false);
          if (fport === undefined) return;
          // Same plaintext as lora-packet decrypts (AppSKey, or NwkSKey on FPort 0), and the original.
          const plain = decryptPayload(up.value, { devAddr: '', nwkSKey: nwk, appSKey: app }, fcnt);
          expect(plain).toEqual(loraPacket.decrypt(packet, app, nwk, msb));
          expect(plain).toEqual(payload);
          // The keystream is symmetric: encrypting the plaintext gives the frame's FRMPayload.
          const key = fport === 0 ? nwk : app;
          expect(cryptFrmPayload(key, 0, devAddrNum, fcnt, plain)).toEqual(up.value.frmPayload);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a key used for many frames gives the same results as a fresh copy of it (the cached cipher keeps no state)', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f');
    const msg = Buffer.from('forty-one bytes of a LoRaWAN data frame!!');
    const first = aesCmac(key, msg);
    for (let i = 0; i < 5; i++) cryptFrmPayload(key, 0, i, i, msg);
    expect(aesCmac(key, msg)).toEqual(first);
    expect(aesCmac(Buffer.from(key), msg)).toEqual(first);
  });
});
