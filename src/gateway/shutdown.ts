import type { Logger } from 'pino';
import type { Storage } from './storage.js';

/** The running parts, each as what it takes to stop it. */
export interface ShutdownParts {
  log: Logger;
  sirens: { stop(): Promise<void> };
  schedules: { stop(): Promise<void>; saveStatus(): void };
  control: { stop(): Promise<void> } | undefined;
  web?: { stop(): Promise<void> };
  serial: { stop(): Promise<void> };
  gwmp: { stop(): Promise<void> } | undefined;
  broker: { stop(): Promise<void> } | undefined;
  uplink: { stop(flushMs: number): Promise<void> };
  storage: Storage;
  alerts?: { stop(): Promise<void> } | undefined;
  neighbours?: { stop(): Promise<void> };
}

/**
 * SIGTERM: sirens OFF first (a villager must never hear a siren the gateway no longer controls),
 * the inputs closed, the outbox flushed for up to 5 s, the database closed cleanly. Returns the
 * stop function; calling it again does nothing.
 */
export function shutdown(p: ShutdownParts): () => Promise<void> {
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    await p.sirens.stop();
    await p.schedules.stop();
    await p.alerts?.stop();
    await p.neighbours?.stop();
    await p.control?.stop();
    await p.web?.stop();
    // Saved while every part can still answer (sirens already OFF): what `siaga status` shows next.
    p.schedules.saveStatus();
    p.storage.runLog.finish();
    await p.serial.stop();
    await p.gwmp?.stop();
    await p.broker?.stop();
    p.storage.writer.flush();
    await p.uplink.stop(5000);
    p.storage.close();
    p.log.info('gateway stopped');
  };
}
