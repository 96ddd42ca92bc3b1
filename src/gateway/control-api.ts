import type { Logger } from 'pino';
import type { AlertServices } from '../alerts/view.js';
import type { Config } from '../config/schema.js';
import { socketPathFor } from '../control/protocol.js';
import { ControlServer, type Handler, type StreamHandler } from '../control/server.js';
import type { GatewayEvent, Reading } from '../domain/index.js';
import { AlertError, UsageError } from '../domain/index.js';
import type { GatewayServices } from './services.js';
import type { Rollback } from './startup.js';

export type Live = { kind: 'reading'; reading: Reading } | { kind: 'event'; event: GatewayEvent };

/** Readings and events as they happen, for `siaga tail` and the demo's live view. */
export class LiveFeed {
  private readonly listeners = new Set<(l: Live) => void>();

  publish(l: Live): void {
    for (const f of this.listeners) f(l);
  }

  /** Returns the function that stops the subscription. */
  subscribe = (f: (l: Live) => void): (() => void) => {
    this.listeners.add(f);
    return () => {
      this.listeners.delete(f);
    };
  };
}

function str(p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${key} is required`);
  return v;
}

/** The control socket's methods: thin adapters from JSON params to the gateway's services. */
export function controlHandlers(s: GatewayServices, reload: () => Promise<unknown>): Record<string, Handler> {
  return {
    status: () => s.status(),
    nodes: () => s.nodes(),
    reload: () => reload(),
    'readings.resend': async (p) => ({ queued: await s.resend(Number(p.from), Number(p.to)) }),
    'siren.test': (p) => s.siren.test(str(p, 'siren'), typeof p.seconds === 'number' ? p.seconds : undefined),
    'siren.off': (p) => s.siren.off(str(p, 'siren')),
    'siren.silence': (p) => s.siren.silence(str(p, 'zone'), Number(p.minutes), str(p, 'by')),
    'siren.unsilence': (p) => s.siren.unsilence(str(p, 'zone'), str(p, 'by')),
    'alerts.list': () => alertServices(s).list(),
    'alerts.ack': (p) => alertServices(s).ack(str(p, 'code'), str(p, 'by'), 'cli'),
    'alerts.test': (p) => alertServices(s).test(str(p, 'contact')),
    'alerts.inbox': (p) => alertServices(s).inbox(str(p, 'file')),
  };
}

function alertServices(s: GatewayServices): AlertServices {
  if (!s.alerts)
    throw new AlertError('alerts are not enabled on this gateway (alerts.enabled: false in its config)');
  return s.alerts;
}

/** `tail`: readings and events as they happen, filtered by node and type. */
export function controlStreams(
  subscribe: (f: (l: Live) => void) => () => void,
): Record<string, StreamHandler> {
  return {
    tail: (params, send) => {
      const node = typeof params.node === 'string' ? params.node : undefined;
      const type = typeof params.type === 'string' ? params.type : undefined;
      return subscribe((l) => {
        if (l.kind === 'reading' && ((node && l.reading.node !== node) || (type && l.reading.type !== type)))
          return;
        if (l.kind === 'event' && node && l.event.fields.node !== node) return;
        send(l);
      });
    },
  };
}

export interface ControlDeps {
  log: Logger;
  services: GatewayServices;
  reload: () => Promise<unknown>;
  feed: LiveFeed;
  rollback: Rollback;
}

/** The unix socket `siaga` talks to; a path that cannot be bound fails the start with the fix. */
export async function startControl(config: Config, d: ControlDeps): Promise<ControlServer> {
  const path = socketPathFor(config.storage.path, config.control.socket);
  const control = new ControlServer({
    path,
    log: d.log.child({ c: 'control' }),
    handlers: controlHandlers(d.services, d.reload),
    streams: controlStreams(d.feed.subscribe),
  });
  await d.rollback.listen(
    { proto: 'unix', key: 'control.socket', path },
    () => control.start(),
    'control',
    () => control.stop(),
  );
  return control;
}
