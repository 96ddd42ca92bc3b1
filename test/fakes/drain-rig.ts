import { expect } from 'vitest';
import type { OutboxEventRow, OutboxKind, OutboxReadingJson, ReadingsPack } from '../../src/store/outbox.js';
import type { DrainOutbox } from '../../src/uplink/drain.js';
import type { LiveLink, UplinkLink } from '../../src/uplink/link.js';
import { readingJson } from '../../src/uplink/payloads.js';
import type { UplinkTopics } from '../../src/uplink/topics.js';

/**
 * The drain's world without SQLite or a broker, for properties over any interleaving of
 * publishes, PUBACKs and lost connections (the real ones are in test/integration/uplink-*).
 */
/** The outbox as plain maps: rows are queued until acked. */
export class FakeOutbox implements DrainOutbox {
  private nextOid = 1;
  readonly queued: Record<OutboxKind, Map<number, string>> = { events: new Map(), readings: new Map() };
  addReading(): string {
    const oid = this.nextOid++;
    const id = `r-${oid}`;
    this.queued.readings.set(
      oid,
      readingJson({
        oid,
        id,
        node: 'pir-01',
        seq: oid,
        type: 'pir',
        ts: oid,
        via: 'serial',
        v: '{"n":1}',
        radio: null,
        clock_ok: 1,
      }),
    );
    return id;
  }
  /** A committed reading the store queued with rowid `oid` (the caller keeps rowids unique). */
  queueReading(oid: number, json: string): void {
    this.queued.readings.set(oid, json);
  }
  addEvent(): string {
    const oid = this.nextOid++;
    this.queued.events.set(oid, `e-${oid}`);
    return `e-${oid}`;
  }
  private after<T>(m: Map<number, T>, afterOid: number, limit: number): [number, T][] {
    return [...m].filter(([oid]) => oid > afterOid).slice(0, limit);
  }
  nextEvents(limit: number, afterOid = 0): OutboxEventRow[] {
    return this.after(this.queued.events, afterOid, limit).map(([oid, id]) => ({
      oid,
      id,
      ts: oid,
      kind: 'node_offline',
      fields: '{}',
    }));
  }
  /** Packs as the store keeps them: `lo → hi`, used only whole while every row in them is queued. */
  readonly packs = new Map<number, number>();
  /** Packs the queued readings after the last pack, `size` rowids each (only runs all queued). */
  pack(size: number): void {
    const last = Math.max(0, ...this.packs.values());
    const oids = [...this.queued.readings.keys()].filter((oid) => oid > last).sort((a, b) => a - b);
    for (let i = 0; i + size <= oids.length; i += size) {
      const lo = oids[i] as number;
      if (oids[i + size - 1] === lo + size - 1) this.packs.set(lo, lo + size - 1);
    }
  }
  nextReadingsPack(limit: number, afterOid: number, maxBytes: number): ReadingsPack | undefined {
    const start = afterOid > 0 ? afterOid + 1 : Math.min(...this.queued.readings.keys());
    const hi = this.packs.get(start);
    if (hi === undefined || hi - start >= limit) return undefined;
    const json: string[] = [];
    for (let oid = start; oid <= hi; oid++) {
      const one = this.queued.readings.get(oid);
      if (one === undefined) return undefined;
      json.push(one);
    }
    const body = Buffer.from(json.join(','));
    return body.length <= maxBytes ? { lo: start, hi, body } : undefined;
  }
  /** As the store: a page read one by one ends before the next pack. */
  nextReadingsJson(limit: number, afterOid = 0): OutboxReadingJson[] {
    const page = this.after(this.queued.readings, afterOid, limit);
    const first = page[0]?.[0] ?? Number.POSITIVE_INFINITY;
    const packAt = Math.min(...[...this.packs.keys()].filter((lo) => lo > first));
    const cut = page.findIndex(([oid]) => oid >= packAt);
    return cut === -1 ? page : page.slice(0, cut);
  }
  get pending(): number {
    return this.queued.readings.size + this.queued.events.size;
  }
  ack(kind: OutboxKind, oids: readonly number[]): void {
    for (const oid of oids) this.queued[kind].delete(oid);
  }
}

export interface Published {
  gen: number;
  kind: OutboxKind;
  ids: string[];
  ack(): void;
}

/** The connection: publishes are kept until the test PUBACKs them; `drop` starts a new generation. */
export class FakeLink implements UplinkLink {
  gen = 1;
  up = true;
  now = 0;
  readonly published: Published[] = [];
  readonly outstanding = new Set<Published>();
  constructor(private readonly topics: UplinkTopics) {}
  /** Called with each publish before it is recorded. */
  onPublish: ((kind: OutboxKind) => void) | undefined;
  private readonly client = {
    publish: (topic: string, payload: string | Buffer, _opts: unknown, cb: (err?: Error) => void) => {
      const parsed = JSON.parse(payload.toString()) as { id?: string; readings?: { id: string }[] };
      const kind = topic === this.topics.events ? 'events' : 'readings';
      this.onPublish?.(kind);
      const p: Published = {
        gen: this.gen,
        kind,
        ids: parsed.readings ? parsed.readings.map((r) => r.id) : [String(parsed.id)],
        ack: () => {
          this.outstanding.delete(p);
          cb();
        },
      };
      this.published.push(p);
      this.outstanding.add(p);
    },
  };
  live(): LiveLink | undefined {
    return this.up ? ({ client: this.client, gen: this.gen } as unknown as LiveLink) : undefined;
  }
  isCurrent(gen: number): boolean {
    return this.up && gen === this.gen;
  }
  drop(): void {
    this.gen++;
    this.outstanding.clear();
  }
  noteError(): void {}
  countBytes(): void {}
  mono(): number {
    return this.now;
  }
}

/** On the connection now up, no row was published twice (a lost connection may resend). */
export function expectNoRepeatOnConnection(link: FakeLink): void {
  const seen = new Set<string>();
  for (const p of link.published.filter((x) => x.gen === link.gen))
    for (const id of p.ids) {
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
}
