import type { Logger } from 'pino';
import type { GwmpServer } from '../../drivers/gwmp/server.js';
import type { LocalBroker } from '../broker/server.js';
import type { Config } from '../config/schema.js';
import type { DetectionEngine } from '../detect/engine.js';
import type { Clock } from '../domain/index.js';
import type { FrameSource } from '../ports/frame-source.js';
import type { SmsGateway } from '../ports/sms.js';
import type { SirenController } from '../sirens/controller.js';
import type { Db } from '../store/db.js';
import type { Outbox } from '../store/outbox.js';
import type { StoreWriter } from '../store/writer.js';
import type { Forwarder } from '../uplink/forwarder.js';
import type { Live } from './control-api.js';
import type { Counters } from './counters.js';
import type { EventLog } from './event-log.js';
import type { Ingest } from './ingest.js';
import type { NodeTracker } from './node-tracker.js';
import type { GatewayServices } from './services.js';
import type { GatewayStatus } from './status-source.js';
import type { RunningWeb } from './web.js';

/** A running gateway, as `siaga run`, the demo, the tests and the benchmarks hold it. */
export interface Gateway {
  /** The config running now (a reload replaces it). */
  readonly config: Config;
  readonly db: Db;
  /** Where every reading enters, whatever the radio. */
  readonly ingest: Ingest;
  readonly engine: DetectionEngine;
  readonly events: EventLog;
  readonly counters: Counters;
  readonly tracker: NodeTracker;
  readonly writer: StoreWriter;
  readonly outbox: Outbox;
  /** The LoRa packet-forwarder socket, when the config has LoRa. */
  readonly gwmp: GwmpServer | undefined;
  /** The village screen (its address while `web.enabled`). */
  readonly web: RunningWeb;
  /** The local MQTT broker, when enabled. */
  readonly broker: LocalBroker | undefined;
  readonly sirens: SirenController;
  readonly services: GatewayServices;
  /** The uplink of the running config, when it has one (a reload may replace it). */
  readonly forwarder: Forwarder | undefined;
  status(): GatewayStatus;
  /** Readings and events as they happen; returns the function that unsubscribes. */
  onLive(f: (l: Live) => void): () => void;
  /** Applies a new config; resolves with the keys that need a restart. */
  reload(wanted: Config): Promise<string[]>;
  /** SIGHUP: reads the config file again; throws ConfigError when it is invalid. */
  reloadFromFile(): Promise<{ restart_needed: string[] }>;
  /** SIGTERM: sirens OFF, the outbox flushed for up to 5 s, the database closed cleanly. */
  stop(): Promise<void>;
}

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
  ports?: { gwmp?: number; broker?: number; web?: number };
  /** Reads the config file again for a reload (SIGHUP); throws ConfigError when it is invalid. */
  reloadConfig?: () => Config | Promise<Config>;
  /** Replaces the configured SMS driver (the demo's printer, which people "reply" to). */
  sms?: SmsGateway;
  /** The alerts' own clock (the demo runs escalation faster than the wall clock); default `clock`. */
  alertsClock?: Clock;
  /** fetch for EarthRanger / Gundi (tests trust their own CA through it); default the global one. */
  remoteFetch?: typeof fetch;
}
