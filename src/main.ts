import { type ScheduledTask, schedule } from 'node-cron';
import type { Logger } from 'pino';
import { GwmpServer } from '../drivers/gwmp/server.js';
import type { FrameSource } from '../drivers/serial/frame-source.js';
import { SerialSource } from '../drivers/serial/source.js';
import { createSirenDriver } from '../drivers/sirens/factory.js';
import { LocalBroker } from './broker/server.js';
import type { Config } from './config/schema.js';
import { socketPathFor } from './control/protocol.js';
import { ControlServer } from './control/server.js';
import { DetectionEngine } from './detect/engine.js';
import type { EngineOutput } from './detect/types.js';
import {
  type Clock,
  type GatewayEvent,
  type Level,
  type Reading,
  systemClock,
  UsageError,
} from './domain/index.js';
import { ClockWatch } from './gateway/clock-watch.js';
import { Counters } from './gateway/counters.js';
import { EventLog } from './gateway/event-log.js';
import { Ingest } from './gateway/ingest.js';
import { NodeTracker } from './gateway/node-tracker.js';
import { diskInfo, levelsOf, nodeRow } from './gateway/status.js';
import { LineSplitter } from './ingest/line-splitter.js';
import { LoraUplinkHandler } from './ingest/lora-uplink.js';
import { SirenController } from './sirens/controller.js';
import { openDb } from './store/db.js';
import { LoraStateStore } from './store/lora-state.js';
import { loadNodeStates } from './store/node-state.js';
import { prune } from './store/prune.js';
import { readingsSince } from './store/readings.js';
import { SirenStore } from './store/silences.js';
import { StoreWriter } from './store/writer.js';
import { createLogger } from './util/log.js';
import { VERSION } from './version.js';

export interface GatewayOptions {
  config: Config;
  log?: Logger;
  clock?: Clock;
  /** Replaces the configured serial ports (the demo's in-process pair). */
  serialSources?: (onData: (port: string, chunk: Buffer) => void) => FrameSource[];
  /** Skip the control socket (benchmarks, some tests). */
  noControl?: boolean;
  /** Where `print` sirens write (the demo's terminal); default stdout. */
  sirenOut?: NodeJS.WritableStream;
  /** Override listening ports (0 = any free one): the demo and tests run beside a real gateway. */
  ports?: { gwmp?: number; broker?: number };
}

export type Live = { kind: 'reading'; reading: Reading } | { kind: 'event'; event: GatewayEvent };

/**
 * The composition root: builds every part from the config and wires them. Nothing else wires.
 * Data flows one way: sources → ingest → store (+ detect → sirens); store → uplink.
 */
export async function startGateway(opts: GatewayOptions) {
  const config = opts.config;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.log.level);
  const startedAt = clock.now();
  const minValidTime = Date.parse(config.gateway.min_valid_time);
  const counters = new Counters();
  const liveListeners = new Set<(l: Live) => void>();
  const live = (l: Live) => {
    for (const f of liveListeners) f(l);
  };

  const db = openDb(config.storage.path);
  let storageError: string | undefined;
  let events!: EventLog;
  const writer = new StoreWriter({
    db,
    log: log.child({ c: 'store' }),
    options: {
      maxRows: config.storage.group_commit.max_rows,
      maxDelayMs: config.storage.group_commit.max_delay_ms,
    },
    onCommit: (info) => {
      if (info.readings.length > 0) {
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
  events = new EventLog({ clock, log: log.child({ c: 'events' }), store: (e) => writer.addEvent(e) });
  events.listen((event) => live({ kind: 'event', event }));

  const ingestRef: { current?: Ingest } = {};
  // Local broker: Wi-Fi nodes publish SG1/JSON lines on siaga/local/nodes/<id>/up.
  const broker = config.local_broker.enabled
    ? new LocalBroker({
        config: { ...config.local_broker, port: opts.ports?.broker ?? config.local_broker.port },
        log: log.child({ c: 'broker' }),
        clock,
        count: counters.scoped('broker'),
        onNodePayload: (node, payload) => {
          const line = payload.toString('latin1').replace(/\r?\n$/, '');
          ingestRef.current?.acceptLine(line, { via: 'mqtt', from: `mqtt:${node}`, expectNode: node });
        },
      })
    : undefined;
  await broker?.start();

  // Sirens: every siren is commanded OFF before anything else happens (safe start).
  const relayBoards = new Map();
  const makeDrivers = (c: Config) =>
    new Map(
      c.sirens.map((sc) => [
        sc.id,
        createSirenDriver(sc, {
          log: log.child({ c: 'siren' }),
          ...(broker ? { bus: broker } : {}),
          ...(opts.sirenOut ? { out: opts.sirenOut } : {}),
          relayBoards,
          ...zoneOfSiren(c, sc.id),
        }),
      ]),
    );
  const sirens = new SirenController({
    config,
    drivers: makeDrivers(config),
    clock,
    events,
    store: new SirenStore(db),
    log: log.child({ c: 'sirens' }),
  });
  await sirens.start();

  const tracker = new NodeTracker({ nodes: config.nodes, states: loadNodeStates(db), events, startedAt });
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
    onReading: (r) => {
      onEngine(engine.onReading(r));
      live({ kind: 'reading', reading: r });
    },
  });
  ingestRef.current = ingest;

  // Serial ports: bytes → lines (256 B limit) → ingest.
  const splitters = new Map<string, LineSplitter>();
  const onSerialData = (port: string, chunk: Buffer) => {
    let sp = splitters.get(port);
    if (!sp) {
      sp = new LineSplitter(256);
      splitters.set(port, sp);
    }
    const { lines, tooLong } = sp.push(chunk);
    if (tooLong > 0) counters.count('serial', 'too_long', tooLong);
    for (const line of lines) ingest.acceptLine(line, { via: 'serial', from: port });
  };
  const serial: FrameSource[] = opts.serialSources
    ? opts.serialSources(onSerialData)
    : config.serial.map(
        (p) =>
          new SerialSource({
            path: p.port,
            baud: p.baud,
            log: log.child({ c: 'serial', port: p.port }),
            onData: (chunk) => onSerialData(p.port, chunk),
            onLost: (error) => events.emit('serial_lost', { port: p.port, error }),
            onBack: (downMs) => {
              splitters.get(p.port)?.reset();
              events.emit('serial_back', { port: p.port, down_s: Math.round(downMs / 100) / 10 });
            },
          }),
      );
  await Promise.all(serial.map((s) => s.start()));

  // LoRa: GWMP datagrams → LoRaWAN checks (MIC, FCnt) → codec → ingest.
  const loraState = config.lora ? new LoraStateStore(db) : undefined;
  const lora =
    config.lora && loraState
      ? new LoraUplinkHandler({
          devices: config.lora.devices,
          dedupS: config.lora.dedup_s,
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
  const gwmp =
    config.lora && lora && loraState
      ? new GwmpServer({
          host: config.lora.gwmp.host,
          port: opts.ports?.gwmp ?? config.lora.gwmp.port,
          maxDatagramBytes: config.lora.gwmp.max_datagram_bytes,
          clock,
          log: log.child({ c: 'gwmp' }),
          count: counters.scoped('gwmp'),
          onPush: (eui, body, rxTs) => lora.handlePush(eui, body, rxTs),
          onStat: (eui, stat, ts) => loraState.recordStat(eui, stat, ts),
        })
      : undefined;
  await gwmp?.start();

  // Clock and timers.
  const clockWatch = new ClockWatch({ clock, events, minValidTime });
  const ticker = setInterval(() => {
    clockWatch.check();
    onEngine(engine.tick());
  }, 1000);
  ticker.unref();
  const tasks: ScheduledTask[] = [
    schedule(config.schedules.node_check, () => {
      for (const s of tracker.checkOffline(clock.now())) writer.touchNode(s);
    }),
    schedule(config.schedules.self_test, () => {
      sirens.selfTest().catch((e: unknown) => log.error({ err: String(e) }, 'siren self-test failed'));
    }),
    schedule(config.schedules.prune, () => {
      writer.flush();
      const res = prune(db, {
        now: clock.now(),
        retentionDays: config.storage.retention_days,
        maxDbMb: config.storage.max_db_mb,
      });
      log.info({ c: 'store', ...res }, 'pruned');
      if (res.unforwardedForSpace > 0) {
        events.emit('storage_error', {
          failing: false,
          dropped_unforwarded: res.unforwardedForSpace,
          reason: 'max_db_mb',
        });
      }
    }),
  ];

  const status = () => ({
    version: VERSION,
    gateway: config.gateway.id,
    site: config.gateway.site,
    uptime_s: Math.round((clock.now() - startedAt) / 1000),
    clock_ok: clockWatch.clockOk,
    levels: levelsOf(engine.zones()),
    zones: engine.zones(),
    nodes: {
      total: config.nodes.length,
      online: tracker.all().filter((n) => n.state.online === true).length,
      offline: tracker.all().filter((n) => n.state.online === false).length,
    },
    sirens: sirens.state(),
    silences: sirens.silences(),
    serial: serial.map((s) => s.state()),
    lora: gwmp
      ? { address: gwmp.address(), gateways: gwmp.stats(), radio_stats: loraState?.stats() ?? [] }
      : null,
    local_broker: broker ? { address: broker.address(), ...broker.stats() } : null,
    storage: { error: storageError ?? null, pending: writer.pending, committed: writer.committedReadings },
    disk: diskInfo(config) ?? null,
    counters: counters.snapshot(),
  });

  const control = opts.noControl
    ? undefined
    : new ControlServer({
        path: socketPathFor(config.storage.path, config.control.socket),
        log: log.child({ c: 'control' }),
        handlers: {
          status: () => status(),
          nodes: () => tracker.all().map((n) => nodeRow(n.config, n.state)),
          'siren.test': async (p) => {
            await sirens.test(str(p, 'siren'), typeof p.seconds === 'number' ? p.seconds : undefined);
            return sirens.state();
          },
          'siren.off': async (p) => {
            await sirens.off(str(p, 'siren'));
            return sirens.state();
          },
          'siren.silence': (p) => sirens.silence(str(p, 'zone'), Number(p.minutes), str(p, 'by')),
          'siren.unsilence': (p) => ({ cleared: sirens.unsilence(str(p, 'zone'), str(p, 'by')) }),
        },
        streams: {
          tail: (params, send) => {
            const node = typeof params.node === 'string' ? params.node : undefined;
            const type = typeof params.type === 'string' ? params.type : undefined;
            const f = (l: Live) => {
              if (
                l.kind === 'reading' &&
                ((node && l.reading.node !== node) || (type && l.reading.type !== type))
              )
                return;
              if (l.kind === 'event' && node && l.event.fields.node !== node) return;
              send(l);
            };
            liveListeners.add(f);
            return () => liveListeners.delete(f);
          },
        },
      });
  await control?.start();
  log.info({ gateway: config.gateway.id, version: VERSION, serial: serial.length }, 'gateway ready');

  let stopped = false;
  return {
    config,
    db,
    ingest,
    engine,
    events,
    counters,
    tracker,
    writer,
    status,
    gwmp,
    broker,
    sirens,
    onLive(f: (l: Live) => void): () => void {
      liveListeners.add(f);
      return () => liveListeners.delete(f);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      // Sirens OFF first: whatever happens after, nothing keeps sounding.
      await sirens.stop();
      clearInterval(ticker);
      for (const t of tasks) await t.stop();
      await control?.stop();
      await Promise.all(serial.map((s) => s.stop()));
      await gwmp?.stop();
      await broker?.stop();
      writer.close();
      db.close();
      log.info('gateway stopped');
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

function zoneOfSiren(c: Config, siren: string): { zone?: string } {
  const z = c.zones.find((zone) => zone.sirens.includes(siren));
  return z ? { zone: z.id } : {};
}

function str(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${key} is required`);
  return v;
}
