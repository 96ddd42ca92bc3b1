import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import { type Gateway, startGateway } from '../../src/main.js';
import { silentLog, testConfig } from '../helpers/gateway.js';
import { capturingLogger } from '../helpers/log.js';
import { type Mosquitto, mosquittoAvailable, startMosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';

describe.skipIf(!mosquittoAvailable())('R4: the disk is full', () => {
  let broker: Mosquitto;
  let centre: MqttClient;
  let gw: Gateway;
  let siren = '';
  const events: { id: string; kind: string; level?: string }[] = [];

  beforeAll(async () => {
    broker = await startMosquitto();
    centre = await mqtt.connectAsync(broker.url, { clientId: 'centre-r4', reconnectPeriod: 0 });
    centre.on('message', (_t, p) => events.push(JSON.parse(p.toString())));
    await centre.subscribeAsync('siaga/v1/gw/gw-test/events', { qos: 1 });
    const config = testConfig(`uplink: {url: "${broker.url}", batch: {max_readings: 100, max_delay_ms: 20}}`);
    const sirenOut = new Writable({
      write(chunk, _e, cb) {
        siren += String(chunk);
        cb();
      },
    });
    gw = await startGateway({ config, log: silentLog, noControl: true, sirenOut });
    await until('uplink connected', () => gw.forwarder?.state().connected);
  });

  afterAll(async () => {
    await gw?.stop();
    await centre?.endAsync();
    await broker?.close();
  });

  it('sirens still sound, alerts still go out live, storage_error in status; then it recovers and loses nothing', async () => {
    const pages = gw.db.pragma('page_count', { simple: true }) as number;
    gw.db.pragma(`max_page_count = ${pages}`); // no room to grow: SQLITE_FULL
    let seq = 0;
    const hb = () =>
      gw.ingest.acceptLine(
        encodeSg1({ node: 'pir-07', seq: ++seq, type: 'hb', v: { bat: 3.9, temp: 27.5 } }),
        {
          via: 'serial',
          from: 't',
        },
      );
    for (let i = 0; i < 3000; i++) hb();
    gw.writer.flush();
    expect(gw.writer.storageFailing).toBe(true);
    expect(gw.status().storage.error).toMatch(/full/i);

    gw.ingest.acceptLine(encodeSg1({ node: 'btn-pos1', seq: 1, type: 'btn', v: { p: 1 } }), {
      via: 'serial',
      from: 't',
    });
    expect(siren).toMatch(/SIREN s-1 ON/); // the siren does not wait for the disk
    const awas = await until('the AWAS alert at the centre', () =>
      events.find((e) => e.kind === 'level' && e.level === 'AWAS'),
    );
    expect(events.some((e) => e.kind === 'storage_error')).toBe(true);

    gw.db.pragma('max_page_count = 1073741823'); // space returns
    await until('storage recovered', () => !gw.writer.storageFailing && gw.writer.pending === 0, 10_000);
    expect(gw.status().storage.error).toBeNull();
    const stored = gw.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number };
    expect(stored.n).toBe(3001);
    await until('outbox drained', () => {
      const b = gw.outbox.backlog();
      return b.events === 0 && b.readings === 0;
    });
    // The alert that went out live is stored, and reached the centre exactly once.
    expect(gw.db.prepare('SELECT id FROM events WHERE id = ?').get(awas.id)).toEqual({ id: awas.id });
    expect(events.filter((e) => e.id === awas.id)).toHaveLength(1);
  });
});

describe('R4: a disk that stays full, then a shutdown (issue 11.12)', () => {
  it('readings held in memory are bounded in bytes, counted in status, and a SIGTERM says in the log how many are lost', async () => {
    const { log, lines } = capturingLogger('info');
    const config = testConfig('');
    config.storage.disk_full_memory_mb = 1;
    const gw = await startGateway({
      config,
      log,
      noControl: true,
      sirenOut: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    const pages = gw.db.pragma('page_count', { simple: true }) as number;
    gw.db.pragma(`max_page_count = ${pages}`);
    let seq = 0;
    for (let i = 0; i < 10_000; i++) {
      gw.ingest.acceptLine(
        encodeSg1({ node: 'pir-07', seq: ++seq, type: 'hb', v: { bat: 3.9, temp: 27.5 } }),
        {
          via: 'serial',
          from: 't',
        },
      );
    }
    gw.writer.flush();
    const st = gw.status().storage;
    expect(st.error).toMatch(/full/i);
    // 1 MiB at ~300 B a heartbeat: a few thousand kept, the oldest dropped, every one counted.
    expect(st.held_bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(st.held_in_memory).toBeGreaterThan(1000);
    expect(st.held_in_memory).toBeLessThan(10_000);
    expect(st.held_in_memory + st.dropped_while_failing).toBe(10_000);
    expect(
      lines.some((l) => l.msg === 'disk still refuses writes: oldest readings held in memory dropped'),
    ).toBe(true);

    const held = st.held_in_memory;
    await gw.stop();
    const lost = lines.find((l) => String(l.msg).startsWith('storage still failing at shutdown'));
    expect(lost).toMatchObject({ readings: held });
  });
});
