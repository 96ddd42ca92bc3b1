import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { PrintSms } from '../../../drivers/sms/print.js';
import { loadConfig } from '../../config/load.js';
import { scaledClock, UsageError } from '../../domain/index.js';
import { preferredPort } from '../../gateway/web.js';
import { type Gateway, type Live, startGateway } from '../../main.js';
import { LoraSimulator } from '../../sim/lora-forwarder.js';
import { createPtyPair, type PtyPair, socatAvailable } from '../../sim/pty.js';
import { SCENARIOS, type Scenario } from '../../sim/scenarios.js';
import { type SimSink, Simulator } from '../../sim/simulator.js';
import { inProcessSerialSink, loraSink, mqttNodeSink, serialDeviceSink } from '../../sim/sinks.js';
import { createLogger } from '../../util/log.js';
import { must } from '../../util/must.js';
import { packageRoot } from '../../util/package-root.js';
import { action, out, t } from '../io.js';
import { storyLine } from '../story.js';
import { formatLive } from './status.js';

/** The demo's Wi-Fi camera trap logs in to the local broker with the demo password. */
const DEMO_MQTT_NODE = { user: 'cam-02', password: 'demo-cam-02' };

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(t('demo.cmd'))
    .option('--once', t('demo.opt.once'))
    .option(
      '--scenario <name>',
      t('opt.scenario', { scenarios: [...SCENARIOS.keys()].join(', ') }),
      'elephant-night',
    )
    .option('--quiet-readings', t('demo.opt.quiet_readings'))
    .action(
      action(async (o: { once?: boolean; scenario: string; quietReadings?: boolean }) => {
        const scenario = SCENARIOS.get(o.scenario);
        if (!scenario)
          throw new UsageError(
            t('simulate.unknown_scenario', {
              name: o.scenario,
              scenarios: [...SCENARIOS.keys()].join(', '),
            }),
          );
        await runDemo({
          scenario: o.scenario,
          once: o.once ?? false,
          quietReadings: o.quietReadings ?? false,
        });
      }),
    );
}

export async function runDemo(opts: {
  scenario: string;
  once: boolean;
  quietReadings: boolean;
}): Promise<void> {
  const scenario = must(SCENARIOS.get(opts.scenario), `scenario ${opts.scenario}`);
  const { config } = loadConfig(join(packageRoot(), 'config', 'demo.yaml'));
  const dir = mkdtempSync(join(tmpdir(), 'siaga-demo-'));
  config.storage.path = join(dir, 'siaga.db');
  config.control.socket = join(dir, 'siaga.sock');
  config.alerts.cap.dir = join(dir, 'cap');
  const sms = new PrintSms();
  const rate = scenario.people?.alertsClockRate;
  const log = createLogger(config.log.level, pino.destination({ fd: 2, sync: true }));

  // The serial line: a real pty pair from socat when it is installed, else an in-process pair.
  let pty: PtyPair | undefined;
  let inProcess: ((chunk: Buffer) => void) | undefined;
  const serialPort = config.serial[0];
  if (serialPort && socatAvailable()) {
    pty = await createPtyPair(dir, { names: ['ttyGATEWAY', 'ttyNODES'] });
    serialPort.port = pty.a;
  }
  const gw = await startGateway({
    config,
    log,
    ports: { gwmp: 0, broker: 0, web: await preferredPort(config.web.host, config.web.port) },
    sms,
    ...(rate ? { alertsClock: scaledClock(rate) } : {}),
    ...(pty || !serialPort
      ? {}
      : {
          serialSources: (onData: (port: string, chunk: Buffer) => void) => {
            inProcess = (chunk) => onData(serialPort.port, chunk);
            return [];
          },
        }),
  });

  const t0 = Date.now();
  const stamp = () => `+${String(Math.round((Date.now() - t0) / 1000)).padStart(3)}s`;
  out(
    [
      '',
      t('demo.title', { id: config.gateway.id, site: config.gateway.site.name }),
      t('demo.database', { path: config.storage.path }),
      t('demo.transports', {
        serial: pty ? t('demo.serial_pty', { path: pty.a }) : t('demo.serial_in_process'),
        lora: gw.gwmp?.address().port ?? '-',
        mqtt: gw.broker?.address().port ?? '-',
      }),
      t('demo.story', { name: scenario.name, description: storyLine(scenario.description) }),
      t('demo.web', { url: gw.web.address()?.url ?? '-' }),
      '',
    ].join('\n'),
  );
  // Every node's first frame shows it reporting (over serial, LoRa or Wi-Fi); after that,
  // heartbeats are left out so the story stays readable.
  const heard = new Set<string>();
  gw.onLive((l: Live) => {
    if (l.kind === 'reading') {
      const first = !heard.has(l.reading.node);
      heard.add(l.reading.node);
      if (opts.quietReadings || (l.reading.type === 'hb' && !first)) return;
    }
    out(`${stamp()} ${formatLive(l)}`);
  });

  playPeople(gw, sms, scenario, (line) => out(`${stamp()} ── ${line}`));

  const sinks: SimSink[] = [];
  const serialSink = pty ? serialDeviceSink(pty.b) : inProcess ? inProcessSerialSink(inProcess) : undefined;
  if (serialSink) sinks.push(serialSink);
  const loraDevices = new Set(config.lora?.devices.map((d) => d.node));
  let lora: SimSink | undefined;
  if (config.lora && gw.gwmp) {
    const sim = new LoraSimulator({
      host: '127.0.0.1',
      port: gw.gwmp.address().port,
      gatewayEui: 'AA555A0000000101',
      devices: config.lora.devices,
      log: log.child({ c: 'sim-lora' }),
      sirens: config.sirens,
      onSirenCommand: (siren, on) =>
        out(`${stamp()} ${t(on ? 'demo.lora_siren_on' : 'demo.lora_siren_off', { siren })}\n`),
    });
    await sim.start();
    lora = loraSink(sim);
    sinks.push(lora);
  }
  let mqttNode: SimSink | undefined;
  if (gw.broker) {
    mqttNode = await mqttNodeSink(
      `mqtt://127.0.0.1:${gw.broker.address().port}`,
      DEMO_MQTT_NODE.user,
      DEMO_MQTT_NODE.password,
    );
    sinks.push(mqttNode);
  }
  const sim = new Simulator({
    nodes: config.nodes,
    heartbeatMs: 15_000,
    scenario,
    sinkFor: (n) => (loraDevices.has(n.id) ? lora : n.id === DEMO_MQTT_NODE.user ? mqttNode : serialSink),
    onNote: (note) => out(`${stamp()} ── ${storyLine(note)}`),
    onError: (e) => log.warn({ err: e }, 'simulator could not send'),
  });
  sim.start();

  const stop = async () => {
    await sim.stop();
    // The gateway first: its SIGTERM OFF goes to the LoRa siren node while the forwarder still listens.
    await gw.stop();
    for (const s of sinks) await s.close?.();
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  if (opts.once) {
    await sim.done;
    // Let the zones calm down (one level per hold_s once the evidence left the window).
    const calmBy = Date.now() + (config.detection.window_s + 4 * config.detection.hold_s + 10) * 1000;
    while (Date.now() < calmBy && gw.engine.zones().some((z) => z.level !== 'NORMAL')) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const summary = storySummary(gw);
    await stop();
    out(summary);
    return;
  }
  out(`${stamp()} ${t('demo.stop_hint')}`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await stop();
}

/** The ranger who answers: the first contact told, replying `OK <code>` as a phone would. */
function playPeople(gw: Gateway, sms: PrintSms, scenario: Scenario, note: (line: string) => void): void {
  const after = scenario.people?.replyAfterMs;
  if (scenario.people?.alertsClockRate)
    note(t('demo.alerts_clock', { rate: scenario.people.alertsClockRate }));
  if (after === undefined) return;
  let replied = false;
  gw.onLive((l: Live) => {
    if (replied || l.kind !== 'event' || l.event.kind !== 'incident') return;
    const f = l.event.fields;
    if (f.level !== 'SIAGA' && f.level !== 'AWAS') return;
    const contact = gw.config.alerts.contacts[0];
    if (!contact) return;
    replied = true;
    setTimeout(() => {
      note(t('demo.reply', { name: contact.name }));
      sms.reply(contact.phone, `OK ${String(f.code)}`);
    }, after).unref();
  });
}

function storySummary(gw: Gateway): string {
  gw.writer.flush();
  const readings = (gw.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n;
  const byVia = gw.db.prepare('SELECT via, count(*) AS n FROM readings GROUP BY via ORDER BY via').all() as {
    via: string;
    n: number;
  }[];
  const levels = gw.db
    .prepare("SELECT fields FROM events WHERE kind = 'level' ORDER BY eid")
    .all()
    .map((r) => JSON.parse((r as { fields: string }).fields) as { zone: string; level: string });
  const sirens = (
    gw.db.prepare("SELECT count(*) AS n FROM events WHERE kind = 'siren_on'").get() as { n: number }
  ).n;
  const top = levels.reduce(
    (m, l) =>
      ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'].indexOf(l.level) >
      ['NORMAL', 'WASPADA', 'SIAGA', 'AWAS'].indexOf(m)
        ? l.level
        : m,
    'NORMAL',
  );
  const now = gw.engine
    .zones()
    .map((z) => `${z.zone} ${z.level}`)
    .join(', ');
  return [
    '',
    t('demo.summary'),
    t('demo.summary.readings', { n: readings, by: byVia.map((v) => `${v.n} ${v.via}`).join(', ') }),
    t('demo.summary.levels', {
      changes: levels.map((l) => `${l.zone}→${l.level}`).join(', ') || t('demo.summary.none'),
    }),
    t('demo.summary.highest', { level: top, n: sirens }),
    t('demo.summary.zones', { zones: now }),
    alertsSummary(gw),
  ].join('\n');
}

/** Who was told, how, and who acknowledged: the people's side of the story. */
function alertsSummary(gw: Gateway): string {
  const incidents = gw.services.alerts?.list().incidents ?? [];
  const sms = incidents.flatMap((i) => i.notifications.filter((n) => n.channel === 'sms'));
  const cap = incidents.flatMap((i) => i.notifications.filter((n) => n.channel === 'cap'));
  const acks = incidents.flatMap((i) => i.acks.map((a) => `${a.by} (${a.channel})`));
  return t('demo.summary.alerts', {
    incidents: incidents.length,
    sms: sms.length,
    cap: cap.length,
    dir: gw.config.alerts.cap.dir,
    acks: acks.join(', ') || t('demo.summary.none'),
  });
}
