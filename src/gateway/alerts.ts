import { basename } from 'node:path';
import type { Logger } from 'pino';
import type { EarthRangerSync } from '../alerts/earthranger.js';
import type { RemoteIncidents } from '../alerts/runtime.js';
import type { IncidentPlace } from '../alerts/types.js';
import type { AlertServices } from '../alerts/view.js';
import type { Config } from '../config/schema.js';
import type { EngineOutput } from '../detect/types.js';
import { AlertError, type Clock, type EventSink, type Reading } from '../domain/index.js';
import type { SmsGateway } from '../ports/sms.js';
import type { GatewayOptions } from './gateway.js';
import type { Rollback } from './startup.js';
import type { Storage } from './storage.js';

/**
 * Alerts for people in the running gateway (issue 14; README, Alerts for people): built only when
 * `alerts.enabled`; ticks the escalation every second and reads gammu-smsd's folders every few.
 */

const TICK_MS = 1000;
const POLL_EVERY_TICKS = 3;

export interface AlertsPart {
  services: AlertServices;
  onEngine(out: EngineOutput): void;
  onReading(r: Reading): void;
  status(): Record<string, unknown>;
  reconfigure(next: Config): void;
  stop(): Promise<void>;
}

export interface AlertsWiring {
  clock: Clock;
  log: Logger;
  events: EventSink;
  storage: Storage;
  rollback: Rollback;
  config: () => Config;
  /** Replaces the configured SMS driver (the demo's printer that people "reply" to). */
  sms?: SmsGateway | undefined;
  /** Where the `print` SMS driver writes. */
  smsOut?: NodeJS.WritableStream | undefined;
  remote?: RemoteIncidents;
  /** fetch for EarthRanger / Gundi; default the global one. */
  fetch?: typeof fetch | undefined;
}

export function placeOf(config: Config, zone: string): IncidentPlace {
  const z = config.zones.find((x) => x.id === zone);
  const place: IncidentPlace = {
    villageName: config.gateway.site.name,
    villageCode: config.gateway.site.village_code,
    radiusM: z?.radius_m ?? 1500,
    tz: config.gateway.site.tz,
  };
  if (z?.center) place.center = z.center;
  return place;
}

/**
 * The runtime, its SMS drivers, the CAP XML builder and EarthRanger are loaded only when
 * `alerts.enabled`: a gateway without alerts keeps their memory (P6) and start time (P8).
 * Switching alerts on by SIGHUP needs a restart (src/gateway/reload.ts says so).
 */
export async function startAlerts(
  config: Config,
  core: Omit<AlertsWiring, 'sms' | 'smsOut' | 'fetch'>,
  opts: Pick<GatewayOptions, 'sms' | 'sirenOut' | 'alertsClock' | 'remoteFetch'> = {},
): Promise<AlertsPart | undefined> {
  if (!config.alerts.enabled) return undefined;
  const [{ Alerts }, { AlertStore }, { createSmsGateway }] = await Promise.all([
    import('../alerts/runtime.js'),
    import('../store/alerts.js'),
    import('../../drivers/sms/factory.js'),
  ]);
  const w: AlertsWiring = {
    ...core,
    clock: opts.alertsClock ?? core.clock,
    sms: opts.sms,
    smsOut: opts.sirenOut,
    fetch: opts.remoteFetch,
  };
  const log = w.log.child({ c: 'alerts' });
  const store = new AlertStore(w.storage.db, () => w.storage.writer.requestFlush());
  w.storage.participants.push(store);
  const node = (id: string) => w.config().nodes.find((n) => n.id === id);
  const er = w.remote ? undefined : await startEarthRanger(config, w, log);
  const remote = w.remote ?? er;
  const alerts = new Alerts({
    clock: w.clock,
    log,
    events: w.events,
    store,
    config: w.config,
    sms: (awaiting) =>
      w.sms ??
      createSmsGateway(config.alerts.sms, {
        log,
        ...(w.smsOut ? { out: w.smsOut } : {}),
        pending: awaiting,
      }),
    place: (zone) => placeOf(w.config(), zone),
    nodeZone: (id) => node(id)?.zone,
    nodeType: (id) => node(id)?.type,
    ...(remote ? { remote } : {}),
  });

  let ticks = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const loop = () => {
    if (stopped) return;
    try {
      alerts.tick();
      if (++ticks % POLL_EVERY_TICKS === 0) void alerts.poll();
    } catch (e) {
      log.error({ err: e }, 'alerts tick failed; trying again in a second');
    }
    timer = setTimeout(loop, TICK_MS);
    timer.unref();
  };
  loop();
  const stop = async () => {
    stopped = true;
    clearTimeout(timer);
    await alerts.close();
    await er?.stop();
  };
  w.rollback.add('alerts', stop);

  const services: AlertServices = {
    list: () => ({ incidents: alerts.list() }),
    ack: (codeOrId, by, channel) => {
      const res = alerts.ack(codeOrId, by, channel);
      if (!res.ok) return Promise.reject(new AlertError(res.detail ?? res.reason));
      const view = alerts.list().find((i) => i.id === res.value.id);
      return view
        ? Promise.resolve(view)
        : Promise.reject(new AlertError(`incident ${res.value.id} vanished`));
    },
    test: (contact) => alerts.test(contact),
    inbox: async (file) => {
      await alerts.poll();
      return { result: alerts.inboxResult(basename(file)) };
    },
  };
  return {
    services,
    onEngine: (out) => {
      if (out.changes.length > 0) alerts.onLevelChanges(out.changes);
    },
    onReading: (r) => alerts.onReading(r),
    status: () => alerts.status(),
    reconfigure: (next) => {
      alerts.reconfigure(next);
      er?.reconfigure(next.alerts.earthranger);
    },
    stop,
  };
}

/** EarthRanger / Gundi when enabled (docs/earthranger.md): incidents as events, from a durable queue. */
async function startEarthRanger(
  config: Config,
  w: AlertsWiring,
  log: Logger,
): Promise<EarthRangerSync | undefined> {
  if (!config.alerts.earthranger.enabled) return undefined;
  const { EarthRangerSync } = await import('../alerts/earthranger.js');
  const er = new EarthRangerSync({
    db: w.storage.db,
    config: config.alerts.earthranger,
    place: (zone) => placeOf(w.config(), zone),
    clock: w.clock,
    log: log.child({ c: 'earthranger' }),
    source: config.gateway.id,
    ...(w.fetch ? { fetch: w.fetch } : {}),
  });
  er.start();
  return er;
}
