import type { Logger } from 'pino';
import type { Config } from './config/schema.js';
import { socketPathFor } from './control/protocol.js';
import { DetectionEngine } from './detect/engine.js';
import type { EngineOutput } from './detect/types.js';
import { type Reading, systemClock } from './domain/index.js';
import { startAlerts } from './gateway/alerts.js';
import { GatewayBus } from './gateway/bus.js';
import { ClockWatch } from './gateway/clock-watch.js';
import { LiveFeed, startControl } from './gateway/control-api.js';
import { Counters } from './gateway/counters.js';
import { applyEngineOutput } from './gateway/engine-output.js';
import { EventLog } from './gateway/event-log.js';
import type { Gateway, GatewayOptions } from './gateway/gateway.js';
import { Ingest } from './gateway/ingest.js';
import { startLocalBroker } from './gateway/local-broker.js';
import { startNeighbours } from './gateway/neighbours.js';
import { NodeTracker } from './gateway/node-tracker.js';
import { startRadio } from './gateway/radio.js';
import { reloader } from './gateway/reload.js';
import { Schedules } from './gateway/schedules.js';
import { SerialInputs } from './gateway/serial-inputs.js';
import { commandServices, gatewayServices } from './gateway/services.js';
import { shutdown } from './gateway/shutdown.js';
import { buildSirens } from './gateway/sirens.js';
import { Rollback } from './gateway/startup.js';
import { levelsOf, uplinkStatusFields } from './gateway/status.js';
import { statusSource } from './gateway/status-source.js';
import { openStorage } from './gateway/storage.js';
import { Uplink } from './gateway/uplink-wiring.js';
import { startWeb } from './gateway/web.js';
import { loadNodeStates, type NodeState } from './store/node-state.js';
import { readingsSince } from './store/readings.js';
import { loadMqttClient } from './uplink/stream-builder.js';
import { createLogger } from './util/log.js';
import { VERSION } from './version.js';

export type { Live } from './gateway/control-api.js';
export type { Gateway, GatewayOptions } from './gateway/gateway.js';

/**
 * Starts the gateway. A start that fails (a port taken, a directory missing) undoes what had
 * started, newest first (sirens OFF among it), and throws: the process can then exit instead of
 * running half a gateway.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? createLogger(opts.config.log.level);
  const rollback = new Rollback();
  try {
    return await buildGateway({ ...opts, log }, rollback);
  } catch (e) {
    log.debug({ err: e }, 'start-up failed; rolling back what had started');
    await rollback.run(log);
    throw e;
  }
}

/**
 * The composition root: builds every part in dependency order and wires them; nothing else
 * wires. Data flows one way: sources → ingest → store (+ detect → sirens); store → uplink.
 */
async function buildGateway(opts: GatewayOptions & { log: Logger }, rollback: Rollback): Promise<Gateway> {
  let config = opts.config;
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const startedAt = clock.now();
  const minValidTime = Date.parse(config.gateway.min_valid_time);
  const counters = new Counters();
  const feed = new LiveFeed();
  const bus = new GatewayBus();

  const storage = openStorage(config, { clock, log, bus });
  rollback.add('store', () => storage.close());
  const { db, writer, outbox } = storage;
  const events = new EventLog({ clock, log: log.child({ c: 'events' }), store: (e) => writer.addEvent(e) });
  const core = { clock, log, counters, events, rollback, storage };
  bus.on('storage', (failing, error) => events.emit('storage_error', { failing, error: error ?? null }));
  const uplink = new Uplink({ ...core, db, outbox, writer });
  bus.on('commit', (info) => uplink.committed(info));
  bus.on('reading', (r) => uplink.offer(r));
  events.listen((event) => {
    feed.publish({ kind: 'event', event });
    uplink.sendLiveWhileDiskFull(event);
  });

  const states = loadNodeStates(db, { unsaved: (replayed) => writer.touchNodes(replayed) });
  const onChange = (s: NodeState) => uplink.publishNode(s);
  const tracker = new NodeTracker({ nodes: config.nodes, states, events, startedAt, onChange });
  const retentionDays = config.storage.retention_days;
  const onReading = (r: Reading) => bus.emit('reading', r);
  const ingestLog = log.child({ c: 'ingest' });
  const ingest = new Ingest({
    ...core,
    log: ingestLog,
    tracker,
    writer,
    minValidTime,
    retentionDays,
    onReading,
  });

  // The local broker first: mqtt sirens need it for their safe-start OFF.
  const broker = await startLocalBroker(config, { ...core, ingest, port: opts.ports?.broker });
  const sirenDeps = { ...core, db, bus: broker, out: opts.sirenOut };
  const { sirens, sirenDrivers, loraLink } = buildSirens(config, sirenDeps);
  rollback.add('sirens', () => sirens.stop());
  await sirens.start(); // every siren OFF before anything else happens (safe start)

  // Detection, rebuilt from the evidence still in the window (a reading a node sent while the
  // sirens started is committed first, so it is among it); then the sirens re-evaluate.
  const engine = new DetectionEngine({ config, clock });
  writer.flush();
  engine.restore(readingsSince(db, startedAt - config.detection.window_s * 1000));
  sirens.evaluate(levelsOf(engine.zones()));
  const current = () => config;
  const alerts = await startAlerts(config, { ...core, config: current }, opts);
  const onEngine = (out: EngineOutput) => {
    applyEngineOutput(out, sirens, events);
    alerts?.onEngine(out);
  };
  bus.on('reading', (r) => {
    const out = engine.onReading(r);
    if (out.evidence) writer.expedite();
    onEngine(out);
    alerts?.onReading(r);
    feed.publish({ kind: 'reading', reading: r });
  });

  const serial = new SerialInputs({
    log: log.child({ c: 'serial' }),
    events,
    onLine: (port, line) => ingest.acceptLine(line, { via: 'serial', from: port }),
    onTooLong: (_port, n) => counters.count('serial', 'too_long', n),
    ...(opts.serialSources ? { override: opts.serialSources } : {}),
  });
  rollback.add('serial', () => serial.stop());
  await serial.start(config.serial);
  const radio = await startRadio(config, { ...core, ingest, port: opts.ports?.gwmp, loraLink });

  const clockWatch = new ClockWatch({ clock, events, minValidTime });
  if (config.uplink) await loadMqttClient(); // only a gateway with an uplink loads MQTT.js
  const neighbours = startNeighbours(config, { ...core, engine, onEngine, broker, uplink });
  const io = { serial, radio, broker, uplink, outbox, alerts, neighbours };
  const parts = { ...core, config: current, tracker, engine, sirens, ...io };
  const status = statusSource({ ...parts, startedAt, clockWatch });
  const flush = () => writer.flush();
  const services = gatewayServices({ ...parts, status, flush, alerts: alerts?.services });
  uplink.start(config, { status: () => uplinkStatusFields(status()), services: commandServices(services) });
  rollback.add('uplink', () => uplink.stop(1000));
  const tick = () => {
    clockWatch.check();
    onEngine(engine.tick());
  };
  const schedules = new Schedules(config, { ...core, tracker, sirens, uplink, status, tick });
  rollback.add('schedules', () => schedules.stop());

  const web = await startWeb({ ...core, config: current, services, feed, port: opts.ports?.web });
  const socket = socketPathFor(config.storage.path, config.control.socket);
  const adopt = (c: Config) => {
    config = c;
  };
  const more = alerts ? [alerts, web, neighbours] : [web, neighbours];
  const reloadParts = { ...parts, adopt, onEngine, sirenDrivers, schedules, more };
  const { reload, reloadFromFile, remember } = reloader({
    current: () => config,
    parts: reloadParts,
    socket,
    now: () => clock.now(),
    ...(opts.noControl ? { noControl: true } : {}),
    ...(opts.reloadConfig ? { reloadConfig: opts.reloadConfig } : {}),
  });
  const control = opts.noControl
    ? undefined
    : await startControl(config, { log, services, reload: reloadFromFile, feed, rollback });
  remember();
  log.info(
    { gateway: config.gateway.id, version: VERSION, startup_ms: clock.now() - startedAt },
    'gateway ready',
  );

  return {
    get config() {
      return config;
    },
    get forwarder() {
      return uplink.current;
    },
    ...{ db, ingest, engine, events, counters, tracker, writer, outbox, broker, sirens, services, status },
    ...{ web, gwmp: radio.gwmp },
    onLive: feed.subscribe,
    reload,
    reloadFromFile,
    stop: shutdown({ ...parts, schedules, control, web, gwmp: radio.gwmp }),
  };
}
