import type { IClientOptions, MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { persistentSession } from '../../src/uplink/subscriptions.js';

describe('the uplink session while neighbours are subscribed through it', () => {
  const capture = () => {
    const seen: IClientOptions[] = [];
    const connect = (_url: string, opts: IClientOptions) => {
      seen.push(opts);
      return {} as MqttClient;
    };
    return { seen, connect };
  };

  it('is persistent (clean: false), so the broker queues a neighbour’s AWAS during a short outage', () => {
    const { seen, connect } = capture();
    persistentSession(connect)('mqtt://centre', { clientId: 'siaga-gw-a', clean: true, protocolVersion: 4 });
    expect(seen[0]).toMatchObject({ clientId: 'siaga-gw-a', clean: false });
    expect(seen[0]?.properties).toBeUndefined();
  });

  it('under MQTT 5 also outlives the disconnect (a session expiry; 0 would end it at once)', () => {
    const { seen, connect } = capture();
    persistentSession(connect)('mqtt://centre', {
      clean: true,
      protocolVersion: 5,
      properties: { receiveMaximum: 10 },
    });
    expect(seen[0]).toMatchObject({
      clean: false,
      properties: { receiveMaximum: 10, sessionExpiryInterval: 86_400 },
    });
  });
});
