import type { Config } from '../config/schema.js';

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
