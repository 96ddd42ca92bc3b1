import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { encodeSg1 } from '../src/codecs/sg1.js';
import type { ReadingType, Values } from '../src/domain/index.js';
import type { Gateway } from '../src/main.js';
import { type BenchNode, benchNodes, benignValues, cycle, ZONES } from './common.js';

/**
 * What the alerts benches (A1–A3) share: a site whose trigger zones each have a panic button, a
 * print siren and their own ranger (so an outbox file name tells which zone it is for), the
 * gammu-smsd FILES spool without a daemon, the 1,000 readings/s background, and the observer
 * thread that timestamps outbox files and CAP documents away from the gateway's event loop.
 */

/** Monotonic ms on the process-wide clock: the same in the gateway thread and the observer. */
export const hr = (): number => Number(process.hrtime.bigint()) / 1e6;

/** One trigger zone: its button node, siren and the phone of the ranger told of it. */
export interface TriggerZone {
  zone: string;
  button: string;
  siren: string;
  phone: string;
  /** The contact role its policy notifies (several zones may share an area's rangers). */
  role: string;
}

export interface AlertsSiteOptions {
  dir: string;
  zones: TriggerZone[];
  /** Contacts beyond the zones' rangers (YAML flow mappings), e.g. the village head. */
  moreContacts?: string[];
  /** Steps of every zone's policy (YAML flow sequence); `{role}` is the zone's ranger role. */
  stepsYaml?: string;
  repeatMin?: number;
  /** `uplink:` flow mapping, or none. */
  uplinkYaml?: string;
  holdS?: number;
  /** Where CAP documents are written (default: `<dir>/cap`, on the same disk as the database). */
  capDir?: string;
  /** A spool a running gammu-smsd serves (default: fresh folders under `dir`, no daemon). */
  spool?: string;
}

/** `count` trigger zones `zt-00…`; `perArea` of them share one area ranger (A3's 20 areas). */
export function triggerZones(count: number, perArea = 1): TriggerZone[] {
  return Array.from({ length: count }, (_, i) => {
    const k = String(i).padStart(2, '0');
    const area = String(Math.floor(i / perArea)).padStart(2, '0');
    return {
      zone: `zt-${k}`,
      button: `btn-${k}`,
      siren: `st-${k}`,
      phone: `+62812100${area.padStart(4, '0')}`,
      role: `area-${area}`,
    };
  });
}

/** The spool folders gammu-smsd's FILES backend uses, under `dir` (no daemon reads them). */
export function benchSpool(dir: string): string {
  const spool = join(dir, 'spool');
  for (const d of ['inbox', 'outbox', 'sent', 'error']) mkdirSync(join(spool, d), { recursive: true });
  return spool;
}

/** Site options for `siteConfig`: the 50 background nodes plus the trigger zones and alerts. */
export function alertsSite(o: AlertsSiteOptions): {
  nodes: BenchNode[];
  zonesYaml: string;
  sirensYaml: string;
  extra: string;
  spool: string;
} {
  const spool = o.spool ?? benchSpool(o.dir);
  const roles = [...new Set(o.zones.map((z) => z.role))];
  const contacts = [
    ...roles.map((r) => {
      const phone = o.zones.find((z) => z.role === r)?.phone;
      return `{id: r-${r}, name: Ranger ${r}, phone: "${phone}", roles: [${r}]}`;
    }),
    ...(o.moreContacts ?? []),
  ];
  const steps = o.stepsYaml ?? '[{after_min: 0, notify: ["role:{role}"], min_level: SIAGA}]';
  const policies = o.zones.map(
    (z) =>
      `    - {zone: ${z.zone}, repeat_min: ${o.repeatMin ?? 1440}, steps: ${steps.replaceAll('{role}', z.role)}}`,
  );
  return {
    spool,
    nodes: [...benchNodes(), ...o.zones.map((z) => ({ id: z.button, type: 'btn' as const, zone: z.zone }))],
    zonesYaml: `[${[
      ...ZONES.map((z, i) => `{id: ${z}, name: ${z}, sirens: [s-${i + 1}]}`),
      ...o.zones.map(
        (z, i) =>
          `{id: ${z.zone}, name: Dusun ${z.zone}, sirens: [${z.siren}], center: [${(-5 - i / 1000).toFixed(3)}, 105.76], radius_m: 1000}`,
      ),
    ].join(', ')}]`,
    sirensYaml: `[${[
      ...ZONES.map((_, i) => `{id: s-${i + 1}, driver: print}`),
      ...o.zones.map((z) => `{id: ${z.siren}, driver: print}`),
    ].join(', ')}]`,
    extra: `detection: {hold_s: ${o.holdS ?? 0}}
${o.uplinkYaml ? `uplink: ${o.uplinkYaml}\n` : ''}alerts:
  enabled: true
  sms: {driver: gammu-smsd, spool: ${spool}}
  contacts:
${contacts.map((c) => `    - ${c}`).join('\n')}
  policies:
${policies.join('\n')}
  cap: {sender: siaga-gw-bench@lampungtimurkab.go.id, dir: ${o.capDir ?? join(o.dir, 'cap')}}
`,
  };
}

/** SG1 lines with a valid sequence per node, handed straight to the gateway's ingest. */
export class LineFeed {
  private readonly seq = new Map<string, number>();
  constructor(private readonly gw: Gateway) {}

  line(node: string, type: ReadingType, v: Values): string {
    const s = (this.seq.get(node) ?? 0) + 1;
    this.seq.set(node, s);
    return encodeSg1({ node, seq: s, type, v });
  }

  send(node: string, type: ReadingType, v: Values): void {
    this.gw.ingest.acceptLine(this.line(node, type, v), { via: 'serial', from: '/dev/bench-alerts' });
  }

  press(z: TriggerZone, p: 0 | 1): void {
    this.send(z.button, 'btn', { p });
  }
}

/**
 * Heartbeats and quiet sensor readings of the 50 site nodes at `perSecond`, in small batches
 * every 5 ms (as a serial port delivers them). Returns the stop function and the count sent.
 */
export function backgroundLoad(feed: LineFeed, perSecond: number): { stop(): number; sent(): number } {
  const site = benchNodes();
  const t0 = hr();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((hr() - t0) / 1000) * perSecond) - sent;
    for (let k = 0; k < due; k++, sent++) {
      const n = cycle(site, sent);
      const [type, v] = benignValues(n.type, sent);
      feed.send(n.id, type, v);
    }
  }, 5);
  return {
    stop: () => {
      clearInterval(timer);
      return sent;
    },
    sent: () => sent,
  };
}

/** What the observer thread saw, stamped with `hr()` when it saw it. */
export type Observed =
  | { kind: 'sms'; name: string; at: number }
  | { kind: 'sent'; name: string; at: number }
  | { kind: 'cap'; msgType: string; zone: string; at: number }
  | { kind: 'ready' }
  | { kind: 'error'; message: string };

export interface ObserverInput {
  outbox?: string;
  /** gammu-smsd's sent/ folder, when a daemon serves the spool. */
  sent?: string;
  brokerUrl?: string;
  capTopic?: string;
}

/** Starts bench/alerts-observer.ts; resolves once it watches the outbox and is subscribed. */
export async function startObserver(
  input: ObserverInput,
  onSeen: (o: Observed) => void,
): Promise<{ stop(): Promise<void> }> {
  const w = new Worker(new URL('./alerts-observer.js', import.meta.url), { workerData: input });
  await new Promise<void>((resolve, reject) => {
    w.once('error', reject);
    w.on('message', (o: Observed) => {
      if (o.kind === 'ready') resolve();
      else if (o.kind === 'error') reject(new Error(`observer: ${o.message}`));
      else onSeen(o);
    });
  });
  return {
    stop: async () => {
      await w.terminate();
    },
  };
}

let gcFn: (() => void) | undefined;

/** A full collection, so heap figures are live objects rather than garbage not yet collected. */
export function fullGc(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  }
  gcFn();
  gcFn();
}
