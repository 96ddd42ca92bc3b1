import type { ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { createSirenDriver } from '../drivers/sirens/factory.js';
import type { Config } from './config/schema.js';
import { socketPathFor } from './control/protocol.js';
import { ControlServer } from './control/server.js';
import { DetectionEngine } from './detect/engine.js';
import type { EngineOutput } from './detect/types.js';
import { type Clock, type Level, systemClock } from './domain/index.js';
import { ClockWatch } from './gateway/clock-watch.js';
import { controlHandlers, controlStreams, LiveFeed } from './gateway/control-api.js';
import { Counters } from './gateway/counters.js';
import { EventLog } from './gateway/event-log.js';
import { Ingest } from './gateway/ingest.js';
import { loraRejectedReporter, runPrune, runSummary, scheduleJobs, statusSaver } from './gateway/jobs.js';
import { writeLastGood } from './gateway/last-good.js';
import { NodeTracker } from './gateway/node-tracker.js';
import { planReload, unchangedSirens, uplinkChanged } from './gateway/reload.js';
import { SerialInputs } from './gateway/serial-inputs.js';
import { commandServices, gatewayServices } from './gateway/services.js';
import { Rollback } from './gateway/startup.js';
import { gatewayStatus, levelsOf, uplinkStatusFields } from './gateway/status.js';
import type { FrameSource } from './ports/frame-source.js';
import type { SirenDriver } from './ports/siren-driver.js';
import { SirenController } from './sirens/controller.js';
import { openDb } from './store/db.js';
import { LoraStateStore } from './store/lora-state.js';
import { loadNodeStates } from './store/node-state.js';
import { NonceStore } from './store/nonces.js';
import { Outbox } from './store/outbox.js';
import { readingsSince } from './store/readings.js';
import { RunLog } from './store/run-log.js';
import { SirenStore } from './store/silences.js';
import { type CommitParticipant, StoreWriter } from './store/writer.js';
import { CommandHandler } from './uplink/commands.js';
import { Forwarder } from './uplink/forwarder.js';
import { createLogger } from './util/log.js';
import { VERSION } from './version.js';

export type { Live } from './gateway/control-api.js';

export interface GatewayOptions {
  config: Config;
  log?: Logger;
  clock?: Clock;
  /** Replaces the configured serial ports (the demo's in-process pair, benchmarks). */
  serialSources?: (onData: (port: string, chunk: Buffer) => void) => FrameSource[];
  /** Skip the control socket (benchmarks, some tests). */
  noControl?: boolean;
  /** Where `print` sirens write (the demo's terminal); default stdout. */
  sirenOut?: NodeJS.WritableStream;
  /** Override listening ports (0 = any free one): the demo and tests run beside a real gateway. */
  ports?: { gwmp?: number; broker?: number };
  /** Reads the config file again for a reload (SIGHUP); throws ConfigError when it is invalid. */
  reloadConfig?: () => Config;
}

/**
 * Starts the gateway. A start that fails (a port taken, a directory missing) undoes what had
 * started, newest first (sirens OFF among it), and throws: the process can then exit instead of
 * running half a gateway.
 */
export async function startGateway(opts: GatewayOptions) {
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
 * The composition root: builds every part from the config and wires them. Nothing else wires.
 * Data flows one way: sources → ingest → store (+ detect → sirens); store → uplink.
 */
async function buildGateway(opts: GatewayOptions & { log: Logger }, rollback: Rollback) {
  let config = opts.config;
  const clock = opts.clock ?? systemClock;
  const log = opts.log;
  const startedAt = clock.now();
  const minValidTime = Date.parse(config.gateway.min_valid_time);
  const counters = new Counters();
  const feed = new LiveFeed();

  // Storage: one writer commits readings, events, outbox rows and node state together.
  const db = openDb(config.storage.path);
  const runLog = new RunLog(db, clock);
  runLog.begin();
  const outbox = new Outbox(db);
  let storageError: string | undefined;
  let forwarder: Forwarder | undefined;
  const participants: CommitParticipant[] = [];
  const writer = new StoreWriter({
    db,
    participants,
    log: log.child({ c: 'store' }),
    options: {
      maxRows: config.storage.group_commit.max_rows,
      maxDelayMs: config.storage.group_commit.max_delay_ms,
      routineDelayMs: config.storage.group_commit.routine_delay_ms,
      maxBytesWhileFailing: config.storage.disk_full_memory_mb * 1024 * 1024,
    },
    onCommit: (info) => {
      forwarder?.notify();
      if (info.readings.length > 0 && log.isLevelEnabled('debug')) {
        const upto: Record<string, number> = {};
        for (const r of info.readings) upto[r.node] = r.seq;
        log.debug({ c: 'store', rows: info.readings.length, upto }, 'commit');
      }
    },
    onStorageState: (failing, error) => {
      storageError = failing ? error : undefined;
      events.emit('storage_error', { failing, error: error ?? null });
    },
  });
  rollback.add('store', () => {
    writer.close();
    db.close();
  });
  const events = new EventLog({ clock, log: log.child({ c: 'events' }), store: (e) => writer.addEvent(e) });
  events.listen((event) => {
    feed.publish({ kind: 'event', event });
    // R4: while the disk refuses writes, alerts still go out, straight from memory.
    if (writer.storageFailing && forwarder) {
      forwarder.publishLive(event).then(
        (sent) => sent && writer.markDeliveredLive(event.id),
        (e: unknown) => log.warn({ err: e }, 'could not send an event live'),
      );
    }
  });

  // Local broker first: mqtt sirens need it for their safe-start OFF.
  const ingestRef: { current?: Ingest } = {};
  const broker = config.local_broker.enabled
    ? new (await import('./broker/server.js')).LocalBroker({
        config: { ...config.local_broker, port: opts.ports?.broker ?? config.local_broker.port },
        log: log.child({ c: 'broker' }),
        clock,
        count: counters.scoped('broker'),
        onNodePayload: (node, payload) => {
          const line = payload.toString('latin1').replace(/\r?\n$/, '');
          // Returned so the PUBACK waits for the reading's commit (issue 11.8).
          return ingestRef.current?.acceptLineCommitted(line, {
            via: 'mqtt',
            from: `mqtt:${node}`,
            expectNode: node,
          });
        },
      })
    : undefined;
  if (broker)
    await rollback.listen(
      brokerListener(config, opts),
      () => broker.start(),
      'local broker',
      () => broker.stop(),
    );

  // Sirens: every siren is commanded OFF before anything else happens (safe start).
  const relayBoards = new Map();
  const driverFor = (c: Config, id: string): SirenDriver => {
    const sc = c.sirens.find((s) => s.id === id)!;
    const zone = c.zones.find((z) => z.sirens.includes(id))?.id;
    return createSirenDriver(sc, {
      log: log.child({ c: 'siren' }),
      relayBoards,
      ...(broker ? { bus: broker } : {}),
      ...(opts.sirenOut ? { out: opts.sirenOut } : {}),
      ...(zone ? { zone } : {}),
    });
  };
  let drivers = new Map(config.sirens.map((s) => [s.id, driverFor(config, s.id)]));
  const sirens = new SirenController({
    config,
    drivers,
    clock,
    events,
    store: new SirenStore(db),
    log: log.child({ c: 'sirens' }),
  });
  rollback.add('sirens', () => sirens.stop());
  await sirens.start();

  // Detection: rebuilt from the evidence still inside the window, then the sirens re-evaluate.
  const tracker = new NodeTracker({
    nodes: config.nodes,
    states: loadNodeStates(db),
    events,
    startedAt,
    onChange: (s) => forwarder?.publishNode(s),
  });
  const engine = new DetectionEngine({ config, clock });
  engine.restore(readingsSince(db, startedAt - config.detection.window_s * 1000));
  sirens.evaluate(levelsOf(engine.zones()) as Record<string, Level>);

  const onEngine = (out: EngineOutput) => {
    // The sirens first: this is the path measured at p99 ≤ 10 ms; events and disk come after.
    if (out.changes.length > 0 || out.retriggered.length > 0) sirens.onEngineOutput(out);
    for (const c of out.changes) {
      events.emit('level', {
        zone: c.zone,
        level: c.level,
        prev: c.prev,
        score: c.score,
        nodes: c.nodes,
        reason: c.reason,
        manual: c.manual,
        ...(c.allClear ? { all_clear: true } : {}),
      });
    }
    for (const n of out.notices) events.emit(n.kind, { zone: n.zone, node: n.node, ...n.fields });
  };

  const ingest = new Ingest({
    tracker,
    writer,
    clock,
    counters,
    log: log.child({ c: 'ingest' }),
    minValidTime,
    retentionDays: config.storage.retention_days,
    onReading: (r) => {
      const out = engine.onReading(r);
      if (out.evidence) writer.expedite();
      onEngine(out);
      feed.publish({ kind: 'reading', reading: r });
    },
  });
  ingestRef.current = ingest;

  // Serial ports: bytes → lines (256 B limit) → ingest.
  const serial = new SerialInputs({
    log: log.child({ c: 'serial' }),
    events,
    onLine: (port, line) => ingest.acceptLine(line, { via: 'serial', from: port }),
    onTooLong: (_port, n) => counters.count('serial', 'too_long', n),
    ...(opts.serialSources ? { override: opts.serialSources } : {}),
  });
  rollback.add('serial', () => serial.stop());
  await serial.start(config.serial);

  // LoRa: GWMP datagrams → LoRaWAN checks (MIC, FCnt) → codec → ingest.
  // FCnts are committed with their readings, not one commit per uplink (SD wear, P2).
  const loraState = new LoraStateStore(db, writer);
  participants.push(loraState);
  // The radio stack (and lora-packet's crypto) is loaded only on a gateway that has LoRa: the
  // memory of a Pi is better spent elsewhere (P6).
  const loraMods = config.lora
    ? {
        uplink: await import('./codecs/lora-uplink.js'),
        gwmp: await import('../drivers/gwmp/server.js'),
      }
    : undefined;
  const makeLora = (c: Config) =>
    loraMods
      ? new loraMods.uplink.LoraUplinkHandler({
          devices: c.lora?.devices ?? [],
          dedupS: c.lora?.dedup_s ?? 10,
          fcnt: loraState,
          clock,
          count: counters.scoped('lora'),
          onFrame: (frame, meta) =>
            ingest.acceptFrame(frame, {
              via: 'lora',
              from: meta.gatewayEui,
              radio: meta.radio,
              seqChecked: true,
            }),
        })
      : undefined;
  let lora = makeLora(config);
  const gwmp =
    config.lora && loraMods
      ? new loraMods.gwmp.GwmpServer({
          host: config.lora.gwmp.host,
          port: opts.ports?.gwmp ?? config.lora.gwmp.port,
          maxDatagramBytes: config.lora.gwmp.max_datagram_bytes,
          clock,
          log: log.child({ c: 'gwmp' }),
          count: counters.scoped('gwmp'),
          onPush: (eui, body, rxTs) => lora?.handlePush(eui, body, rxTs) ?? 0,
          onStat: (eui, stat, ts) => loraState.recordStat(eui, stat, ts),
          gateways: config.lora.gateways,
        })
      : undefined;
  if (gwmp)
    await rollback.listen(
      gwmpListener(config, opts),
      () => gwmp.start(),
      'gwmp',
      () => gwmp.stop(),
    );

  // Status, services, and the uplink that publishes them.
  const clockWatch = new ClockWatch({ clock, events, minValidTime });
  const status = () =>
    gatewayStatus({
      config,
      uptimeS: Math.round((clock.now() - startedAt) / 1000),
      clockOk: clockWatch.clockOk,
      zones: engine.zones(),
      nodes: tracker.all(),
      sirens,
      serial: serial.states(),
      lora: gwmp ? { address: gwmp.address(), gateways: gwmp.stats(), radio_stats: loraState.stats() } : null,
      localBroker: broker ? { address: broker.address(), ...broker.stats() } : null,
      uplink: forwarder ? forwarder.state() : null,
      storage: {
        error: storageError ?? null,
        pending: writer.pending,
        committed: writer.committedReadings,
        held_in_memory: writer.heldWhileFailing,
        held_bytes: writer.heldBytes,
        dropped_while_failing: writer.droppedWhileFailing,
        backlog: outbox.backlog(),
      },
      counters: counters.snapshot(),
    });
  const services = gatewayServices({
    config: () => config,
    status,
    tracker,
    engine,
    sirens,
    outbox,
    flush: () => writer.flush(),
    wakeUplink: () => forwarder?.notify(),
  });
  const makeForwarder = (c: Config) => {
    if (!c.uplink) return undefined;
    const commands = new CommandHandler({
      commands: c.commands,
      nonces: new NonceStore(db),
      clock,
      events,
      services: commandServices(services),
      log: log.child({ c: 'commands' }),
    });
    const f = new Forwarder({
      config: c.uplink,
      gatewayId: c.gateway.id,
      villageCode: c.gateway.site.village_code,
      outbox,
      clock,
      log: log.child({ c: 'uplink' }),
      events,
      status: () => uplinkStatusFields(status()),
      onCommand: (payload) => commands.handle(payload),
    });
    f.start();
    return f;
  };
  forwarder = makeForwarder(config);
  rollback.add('uplink', () => forwarder?.stop(1000));

  // Timers: engine tick and clock watch every second; the rest on their cron.
  const ticker = setInterval(() => {
    clockWatch.check();
    onEngine(engine.tick());
  }, 1000);
  ticker.unref();
  rollback.add('ticker', () => clearInterval(ticker));
  const jobDeps = { db, writer, clock, events, log, runLog };
  const saveStatus = statusSaver(jobDeps, status);
  const reportLoraRejected = loraRejectedReporter(counters, events);
  // Every schedule runs in the site's time zone, not the system's (most Pi images run in UTC).
  const makeTasks = (c: Config): ScheduledTask[] =>
    scheduleJobs(
      [
        {
          name: 'node_check',
          cron: c.schedules.node_check,
          run: () => {
            for (const s of tracker.checkOffline(clock.now())) writer.touchNode(s);
          },
        },
        {
          name: 'heartbeat',
          cron: c.schedules.heartbeat,
          run: () => {
            forwarder?.publishStatus();
            saveStatus();
            reportLoraRejected();
          },
        },
        { name: 'self_test', cron: c.schedules.self_test, run: () => sirens.selfTest() },
        {
          name: 'summary',
          cron: c.schedules.summary,
          run: () => {
            const s = runSummary(jobDeps, c);
            forwarder?.publishSummary(s as unknown as { day: string } & Record<string, unknown>);
          },
        },
        { name: 'prune', cron: c.schedules.prune, run: () => runPrune(jobDeps, c) },
      ],
      c.gateway.site.tz,
      log.child({ c: 'jobs' }),
    );
  let tasks = makeTasks(config);
  rollback.add('schedules', async () => {
    for (const t of tasks) await t.stop();
  });

  /**
   * SIGHUP (R6): a valid new config is applied part by part without dropping readings or
   * toggling sirens that stay; an invalid one throws (ConfigError) and the old one keeps running.
   */
  const reload = async (wanted: Config): Promise<string[]> => {
    const prev = config;
    const { config: next, restartNeeded } = planReload(prev, wanted);
    config = next;
    log.level = next.log.level;
    tracker.reconfigure(next.nodes);
    onEngine(engine.reconfigure(next));
    const keep = unchangedSirens(prev, next);
    const nextDrivers = new Map(
      next.sirens.map((s) => [
        s.id,
        keep.has(s.id) && drivers.has(s.id) ? drivers.get(s.id)! : driverFor(next, s.id),
      ]),
    );
    sirens.reconfigure(next, nextDrivers);
    drivers = nextDrivers;
    broker?.reconfigure(next.local_broker);
    lora = makeLora(next);
    gwmp?.setGateways(next.lora?.gateways);
    await serial.reconfigure(next.serial);
    if (uplinkChanged(prev, next)) {
      await forwarder?.stop(2000);
      forwarder = makeForwarder(next);
    }
    for (const t of tasks) await t.stop();
    tasks = makeTasks(next);
    log.info(
      { restartNeeded },
      restartNeeded.length ? 'config reloaded; some changes need a restart' : 'config reloaded',
    );
    if (!opts.noControl)
      writeLastGood(config, socketPathFor(config.storage.path, config.control.socket), clock.now(), log);
    return restartNeeded;
  };
  const reloadFromFile = async () => {
    if (!opts.reloadConfig) throw new Error('this gateway was started without a config file to reload');
    return { restart_needed: await reload(opts.reloadConfig()) };
  };

  const control = opts.noControl
    ? undefined
    : new ControlServer({
        path: socketPathFor(config.storage.path, config.control.socket),
        log: log.child({ c: 'control' }),
        handlers: controlHandlers(services, reloadFromFile),
        streams: controlStreams(feed.subscribe),
      });
  if (control) {
    const path = socketPathFor(config.storage.path, config.control.socket);
    await rollback.listen(
      { proto: 'unix', key: 'control.socket', path },
      () => control.start(),
      'control',
      () => control.stop(),
    );
  }
  if (control)
    writeLastGood(config, socketPathFor(config.storage.path, config.control.socket), clock.now(), log);
  log.info(
    { gateway: config.gateway.id, version: VERSION, startup_ms: clock.now() - startedAt },
    'gateway ready',
  );

  let stopped = false;
  return {
    get config() {
      return config;
    },
    db,
    ingest,
    engine,
    events,
    counters,
    tracker,
    writer,
    outbox,
    gwmp,
    broker,
    sirens,
    services,
    status,
    onLive: feed.subscribe,
    reload,
    reloadFromFile,
    get forwarder() {
      return forwarder;
    },
    /** SIGTERM: sirens OFF, the outbox flushed for up to 5 s, the database closed cleanly. */
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await sirens.stop();
      clearInterval(ticker);
      for (const t of tasks) await t.stop();
      await control?.stop();
      // Saved while every part can still answer (sirens already OFF): what `siaga status` shows next.
      saveStatus();
      runLog.finish();
      await serial.stop();
      await gwmp?.stop();
      await broker?.stop();
      writer.flush();
      await forwarder?.stop(5000);
      writer.close();
      db.close();
      log.info('gateway stopped');
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

function gwmpListener(c: Config, opts: GatewayOptions) {
  return {
    proto: 'udp' as const,
    key: 'lora.gwmp.port',
    port: opts.ports?.gwmp ?? c.lora?.gwmp.port ?? 0,
    ...(c.lora ? { host: c.lora.gwmp.host } : {}),
  };
}

function brokerListener(c: Config, opts: GatewayOptions) {
  return {
    proto: 'tcp' as const,
    key: 'local_broker.port',
    port: opts.ports?.broker ?? c.local_broker.port,
    host: c.local_broker.host,
  };
}
