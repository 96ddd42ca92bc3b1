import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { EngineOutput } from '../detect/types.js';
import { ConfigError } from '../domain/index.js';
import type { SirenDriver } from '../ports/siren-driver.js';
import { writeLastGood } from './last-good.js';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * What a reload (SIGHUP) can apply to a running gateway. The database file, the control socket
 * and the listening ports are bound at start: changes to them are named as needing a restart and
 * the running values are kept, so status keeps telling the truth about what is in use.
 */
export function planReload(prev: Config, next: Config): { config: Config; restartNeeded: string[] } {
  const restartNeeded: string[] = [];
  const config: Config = { ...next };
  if (next.storage.path !== prev.storage.path) {
    restartNeeded.push('storage.path');
    config.storage = { ...next.storage, path: prev.storage.path };
  }
  if (!same(next.control, prev.control)) {
    restartNeeded.push('control.socket');
    config.control = prev.control;
  }
  if (!same(next.lora?.gwmp, prev.lora?.gwmp) || Boolean(next.lora) !== Boolean(prev.lora)) {
    restartNeeded.push('lora.gwmp');
    if (prev.lora && next.lora) config.lora = { ...next.lora, gwmp: prev.lora.gwmp };
  }
  // The LoRa network is built for one region plan and NetID (DevAddrs, duty-cycle books).
  const plan = (c: Config) => [c.lora?.region, c.lora?.net_id, c.lora?.duty_cycle_pct];
  if (prev.lora && config.lora && !same(plan(next), plan(prev))) {
    restartNeeded.push('lora.region/net_id/duty_cycle_pct');
    const { duty_cycle_pct: _, ...rest } = config.lora;
    config.lora = {
      ...rest,
      region: prev.lora.region,
      net_id: prev.lora.net_id,
      ...(prev.lora.duty_cycle_pct !== undefined ? { duty_cycle_pct: prev.lora.duty_cycle_pct } : {}),
    };
  }
  const lb = (c: Config) => [
    c.local_broker.enabled,
    c.local_broker.host,
    c.local_broker.port,
    c.local_broker.tls,
  ];
  if (!same(lb(next), lb(prev))) {
    restartNeeded.push('local_broker.enabled/host/port/tls');
    config.local_broker = {
      ...next.local_broker,
      enabled: prev.local_broker.enabled,
      host: prev.local_broker.host,
      port: prev.local_broker.port,
      ...(prev.local_broker.tls ? { tls: prev.local_broker.tls } : {}),
    };
    if (!prev.local_broker.tls) delete config.local_broker.tls;
  }
  // The alerts part, its SMS driver and the EarthRanger queue are built at start: switching them
  // by SIGHUP would otherwise look applied while nothing sends. Contacts, policies, texts apply.
  const al = (c: Config) => [
    c.alerts.enabled,
    c.alerts.sms.driver,
    c.alerts.sms.spool,
    c.alerts.earthranger.enabled,
  ];
  if (!same(al(next), al(prev))) {
    restartNeeded.push('alerts.enabled/sms.driver/sms.spool/earthranger.enabled');
    config.alerts = {
      ...next.alerts,
      enabled: prev.alerts.enabled,
      sms: { ...next.alerts.sms, driver: prev.alerts.sms.driver, spool: prev.alerts.sms.spool },
      earthranger: { ...next.alerts.earthranger, enabled: prev.alerts.earthranger.enabled },
    };
  }
  return { config, restartNeeded };
}

/** Siren ids whose driver config is unchanged: their driver instance is kept, so they do not toggle. */
export function unchangedSirens(prev: Config, next: Config): Set<string> {
  const out = new Set<string>();
  for (const s of next.sirens) {
    if (
      same(
        prev.sirens.find((p) => p.id === s.id),
        s,
      )
    )
      out.add(s.id);
  }
  return out;
}

/** The uplink must be rebuilt when its connection or its command keys changed. */
export function uplinkChanged(prev: Config, next: Config): boolean {
  return (
    !same(next.uplink, prev.uplink) ||
    !same(next.commands, prev.commands) ||
    next.gateway.id !== prev.gateway.id
  );
}

/**
 * The running parts a reload touches, by what they do (so this sequence depends on no part's
 * class, and the parts may build on the plan above).
 */
export interface ReloadParts {
  log: Logger;
  /** Makes `next` the config every part reads from now on (status, services). */
  adopt(next: Config): void;
  tracker: { reconfigure(nodes: Config['nodes']): void };
  engine: { reconfigure(next: Config): EngineOutput };
  /** Acts on what the new rules did to the zones (sirens, level events). */
  onEngine(out: EngineOutput): void;
  sirenDrivers: { reconfigure(prev: Config, next: Config): Map<string, SirenDriver> };
  sirens: { reconfigure(next: Config, drivers: Map<string, SirenDriver>): void };
  broker: { reconfigure(next: Config['local_broker']): void } | undefined;
  radio: { reconfigure(next: Config): void };
  serial: { reconfigure(ports: Config['serial']): Promise<void> };
  uplink: { reconfigure(prev: Config, next: Config): Promise<void> };
  schedules: { reconfigure(next: Config): Promise<void> };
  /** Parts added by features (alerts, the web page), reconfigured last, in order. */
  more?: { reconfigure(next: Config): void | Promise<void> }[];
}

/**
 * SIGHUP (R6): a valid new config is applied part by part without dropping readings or toggling
 * sirens that stay. Detection and the sirens go first: a zone the new rules raise sounds before
 * the slower parts (serial ports, the uplink) are rebuilt. Returns the config now running and
 * the keys that need a restart.
 */
export async function applyReload(
  prev: Config,
  wanted: Config,
  p: ReloadParts,
): Promise<{ config: Config; restartNeeded: string[] }> {
  const { config: next, restartNeeded } = planReload(prev, wanted);
  p.adopt(next);
  p.log.level = next.log.level;
  p.tracker.reconfigure(next.nodes);
  p.onEngine(p.engine.reconfigure(next));
  p.sirens.reconfigure(next, p.sirenDrivers.reconfigure(prev, next));
  p.broker?.reconfigure(next.local_broker);
  p.radio.reconfigure(next);
  await p.serial.reconfigure(next.serial);
  await p.uplink.reconfigure(prev, next);
  await p.schedules.reconfigure(next);
  for (const part of p.more ?? []) await part.reconfigure(next);
  p.log.info(
    { restartNeeded },
    restartNeeded.length ? 'config reloaded; some changes need a restart' : 'config reloaded',
  );
  return { config: next, restartNeeded };
}

export interface Reloader {
  /** Applies `wanted`; returns the keys that need a restart. */
  reload(wanted: Config): Promise<string[]>;
  /** SIGHUP and `siaga config reload`: reads the config file again and applies it. */
  reloadFromFile(): Promise<{ restart_needed: string[] }>;
  /** Writes the running config as the last good one (what `siaga doctor` compares against). */
  remember(): void;
}

export interface ReloaderOptions {
  current(): Config;
  parts: ReloadParts;
  socket: string;
  now(): number;
  /** Started without a control socket (tests): nothing to remember. */
  noControl?: boolean;
  reloadConfig?: () => Config | Promise<Config>;
}

export function reloader(o: ReloaderOptions): Reloader {
  const remember = () => {
    if (!o.noControl) writeLastGood(o.current(), o.socket, o.now(), o.parts.log);
  };
  const reload = async (wanted: Config): Promise<string[]> => {
    const { restartNeeded } = await applyReload(o.current(), wanted, o.parts);
    remember();
    return restartNeeded;
  };
  const reloadFromFile = async () => {
    if (!o.reloadConfig) {
      throw new ConfigError([
        { path: '', message: 'this gateway was started without a config file to reload' },
      ]);
    }
    return { restart_needed: await reload(await o.reloadConfig()) };
  };
  return { reload, reloadFromFile, remember };
}
