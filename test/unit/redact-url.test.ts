import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactUrl, secretValues } from '../../src/config/secrets.js';
import { failureCause } from '../../src/uplink/failure-cause.js';
import { plaintextRemoteHost } from '../../src/uplink/plaintext.js';

describe('a password in uplink.url', () => {
  it('is replaced, user and host kept', () => {
    expect(redactUrl('mqtt://gw-01:s3cret@central.example.org:1883')).toBe(
      'mqtt://gw-01:[redacted]@central.example.org:1883',
    );
    expect(redactUrl('mqtts://gw:p%40ss@h/x')).toBe('mqtts://gw:[redacted]@h/x');
    expect(redactUrl('mqtt://gw:a@b@host')).toBe('mqtt://gw:[redacted]@host');
    expect(redactUrl('mqtt://only-user@host')).toBe('mqtt://only-user@host');
    expect(redactUrl('mqtts://host:8883')).toBe('mqtts://host:8883');
    expect(redactUrl('not a url: a:b@c')).toBe('not a url: a:b@c');
  });

  it('never survives redactUrl, for any password', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9!$&'()*+,;=._~%-]{4,40}$/), (pw) => {
        const shown = redactUrl(`mqtt://gw:${pw}@central.example.org:1883`);
        expect(shown).toBe('mqtt://gw:[redacted]@central.example.org:1883');
      }),
    );
  });

  it('is redacted by redact() (config.get, config check --json) and listed by secretValues', () => {
    const config = { uplink: { url: 'mqtt://gw:p%40ss-word@h:1883', password: 'other-pw' }, n: 3 };
    expect(redact(config)).toEqual({
      uplink: { url: 'mqtt://gw:[redacted]@h:1883', password: '[redacted]' },
      n: 3,
    });
    expect(secretValues(config).sort()).toEqual(['other-pw', 'p%40ss-word', 'p@ss-word'].sort());
  });
});

describe('plaintext to a remote centre', () => {
  it('is found for mqtt://, tcp:// and ws:// to another host', () => {
    expect(plaintextRemoteHost('mqtt://central.example.org:1883')).toBe('central.example.org');
    expect(plaintextRemoteHost('tcp://10.8.0.1')).toBe('10.8.0.1');
    expect(plaintextRemoteHost('ws://gw:pw@[2001:db8::1]:80')).toBe('2001:db8::1');
  });

  it('is not reported for loopback or TLS', () => {
    for (const url of [
      'mqtt://127.0.0.1:1883',
      'mqtt://127.8.9.10',
      'mqtt://localhost:1883',
      'mqtt://[::1]:1883',
      'mqtts://central.example.org:8883',
      'wss://central.example.org',
      'ssl://central.example.org',
    ])
      expect(plaintextRemoteHost(url), url).toBeUndefined();
  });
});

describe('the cause of a failed uplink connection', () => {
  const err = (message: string, code?: string | number) =>
    Object.assign(new Error(message), code === undefined ? {} : { code });
  it('names socket, TLS, credential and timeout failures', () => {
    expect(failureCause(err('connect ECONNREFUSED 10.0.0.1:1883', 'ECONNREFUSED'))).toBe('ECONNREFUSED');
    expect(failureCause(err('getaddrinfo ENOTFOUND x', 'ENOTFOUND'))).toBe('ENOTFOUND');
    expect(failureCause(err('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe(
      'tls:DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    expect(failureCause(err('Connection refused: Not authorized', 5))).toBe('auth_refused');
    expect(failureCause(err('Connection refused: Bad username or password', 4))).toBe('auth_refused');
    expect(failureCause(err('Connection refused: Server unavailable', 3))).toBe('connack:3');
    expect(failureCause(err('connack timeout'))).toBe('connack_timeout');
    expect(failureCause('a string')).toBe('unknown');
  });
});
