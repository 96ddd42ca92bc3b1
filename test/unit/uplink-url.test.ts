import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { UplinkConfig } from '../../src/config/schema.js';
import { redactUrl } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/domain/index.js';
import { uplinkUrls } from '../../src/uplink/client-options.js';
import { UplinkConnection } from '../../src/uplink/connection.js';
import { plaintextRemoteHost } from '../../src/uplink/plaintext.js';
import { capturingLogger, silentLog } from '../helpers/log.js';
import { cfg } from '../helpers/uplink-centre.js';
import { until } from '../helpers/wait.js';

const withUrl = (url: string) => `
gateway: {id: gw-1, site: {name: Desa, village_code: "18.07.11.2005", lat: -5, lon: 105.7}}
storage: {path: ./x.db}
uplink: {url: ${url}}
nodes: [{id: pir-07, type: pir, zone: z-a}]
zones: [{id: z-a, name: Zone A, sirens: [s-1]}]
sirens: [{id: s-1, driver: print}]
`;

function problems(url: string): string[] {
  try {
    parseConfig(withUrl(url), tmpdir());
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('uplink.url: one broker or a failover list', () => {
  it('a single URL still works as it always did', () => {
    const cfg = parseConfig(withUrl('mqtts://centre.lampung.go.id:8883'), tmpdir());
    expect(cfg.uplink?.url).toBe('mqtts://centre.lampung.go.id:8883');
    expect(uplinkUrls(cfg.uplink as UplinkConfig)).toEqual(['mqtts://centre.lampung.go.id:8883']);
  });

  it('a list is kept in its order', () => {
    const cfg = parseConfig(withUrl('[mqtts://a.example:8883, mqtts://b.example:8883]'), tmpdir());
    expect(uplinkUrls(cfg.uplink as UplinkConfig)).toEqual([
      'mqtts://a.example:8883',
      'mqtts://b.example:8883',
    ]);
  });

  it('an empty list, a bad URL in the list, or a number are refused with where and why', () => {
    expect(problems('[]')).toEqual(['uplink.url: needs at least one URL']);
    expect(problems('[mqtts://a.example, ftp://b.example]')).toEqual([
      'uplink.url[1]: must be an mqtt://, mqtts://, ws:// or wss:// URL',
    ]);
    expect(problems('42')).toEqual([
      'uplink.url: must be a broker URL (mqtts://host:8883) or a list of them, tried in order',
    ]);
  });

  it('passwords in every URL of a list are redacted, and a plain remote URL anywhere is found', () => {
    expect(redactUrl(['mqtts://gw:s3cret@a:8883', 'mqtt://gw:s3cret@b:1883'])).toBe(
      'mqtts://gw:[redacted]@a:8883, mqtt://gw:[redacted]@b:1883',
    );
    expect(plaintextRemoteHost(['mqtts://a.example:8883', 'mqtt://b.example:1883'])).toBe('b.example');
    expect(plaintextRemoteHost(['mqtts://a.example:8883', 'mqtt://127.0.0.1:1883'])).toBeUndefined();
  });
});

/** A stand-in MQTT.js client: the test decides when it connects or closes. */
class FakeClient extends EventEmitter {
  constructor(readonly url: string) {
    super();
  }
  publish(_t: string, _p: string, _o: unknown, cb: () => void): void {
    cb();
  }
  end(_force?: boolean, _o?: unknown, cb?: () => void): this {
    cb?.();
    return this;
  }
}

function walk(urls: string[], up: (url: string) => boolean) {
  const tried: FakeClient[] = [];
  const { log, lines } = capturingLogger('info');
  const config: UplinkConfig = { ...cfg('', { backoff: { min_ms: 1, max_ms: 4 } }), url: urls };
  const conn = new UplinkConnection({
    config,
    gatewayId: 'gw-1',
    log: log ?? silentLog,
    statusTopic: 'siaga/v1/gw/gw-1/status',
    onUp: () => {},
    onDown: () => {},
    onMessage: () => {},
    random: () => 0,
    connect: (url) => {
      const c = new FakeClient(url);
      tried.push(c);
      setImmediate(() => c.emit(up(url) ? 'connect' : 'close'));
      return c as unknown as MqttClient;
    },
  });
  return { conn, tried, lines };
}

describe('the failover walk', () => {
  it('after a failure the next URL; after the list the first again', async () => {
    const { conn, tried } = walk(['mqtt://a:1883', 'mqtt://b:1883', 'mqtt://c:1883'], () => false);
    conn.connectNow();
    await until('five attempts', () => tried.length >= 5);
    await conn.close(0, () => '');
    expect(tried.slice(0, 5).map((c) => c.url)).toEqual([
      'mqtt://a:1883',
      'mqtt://b:1883',
      'mqtt://c:1883',
      'mqtt://a:1883',
      'mqtt://b:1883',
    ]);
  });

  it('stays on the URL that works, and when that connection drops starts again at the first', async () => {
    let aUp = false;
    const { conn, tried, lines } = walk(
      ['mqtt://a:1883', 'mqtt://b:1883'],
      (url) => url.includes('b:') || aUp,
    );
    conn.connectNow();
    await until('connected to b', () => conn.connected);
    expect(conn.url).toBe('mqtt://b:1883');
    expect(lines.some((l) => l.msg === 'uplink connected' && l.url === 'mqtt://b:1883')).toBe(true);
    aUp = true;
    tried.at(-1)?.emit('close');
    await until('connected again', () => conn.connected && tried.length === 3);
    await conn.close(0, () => '');
    expect(tried.map((c) => c.url)).toEqual(['mqtt://a:1883', 'mqtt://b:1883', 'mqtt://a:1883']);
    expect(conn.url).toBe('mqtt://a:1883');
  });

  it('the URL being tried is named in the warning, with its password redacted', async () => {
    const { conn, tried, lines } = walk(['mqtt://gw:pw-123@a:1883'], () => false);
    conn.connectNow();
    await until('two attempts', () => tried.length >= 2);
    await conn.close(0, () => '');
    const warn = lines.find((l) => l.msg === 'uplink connection failed');
    expect(warn?.url).toBe('mqtt://gw:[redacted]@a:1883');
    expect(JSON.stringify(lines)).not.toContain('pw-123');
  });
});
