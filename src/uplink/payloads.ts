import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { EventFields, Reading } from '../domain/index.js';
import type { OutboxEventRow, OutboxReadingRow } from '../store/outbox.js';

/**
 * Payload builders for the uplink (docs/wire.md §3). Pure. Readings are built by string concatenation
 * from the JSON text stored in SQLite (`v`, `radio`), so a 500,000-reading backlog is never
 * parsed and re-stringified.
 */

/** One reading as it appears inside a batch. `clock_ok:false` only when the clock was unsynced. */
export function readingJson(r: OutboxReadingRow): string {
  let s =
    '{"id":' +
    JSON.stringify(r.id) +
    ',"node":' +
    JSON.stringify(r.node) +
    ',"seq":' +
    r.seq +
    ',"type":' +
    JSON.stringify(r.type) +
    ',"ts":' +
    r.ts +
    ',"via":' +
    JSON.stringify(r.via) +
    ',"v":' +
    r.v;
  if (r.radio !== null) s += ',"radio":' + r.radio;
  if (r.clock_ok === 0) s += ',"clock_ok":false';
  return s + '}';
}

/**
 * A reading just accepted, as `readingJson` builds it from its stored row (the same bytes: a
 * property test holds them equal), straight from memory. One JSON.stringify of one object makes
 * one flat string; the concatenation above makes a rope of ~15 pieces, and the live path builds
 * one per reading at 1,000 frames/s: half the allocation, which set how often the young
 * generation was collected (and so how many pending readings were promoted; bench/README).
 */
export function liveReadingJson(r: Reading): string {
  const { id, node, seq, type, ts, via, v, radio } = r;
  if (radio === undefined)
    return JSON.stringify(
      r.clockOk ? { id, node, seq, type, ts, via, v } : { id, node, seq, type, ts, via, v, clock_ok: false },
    );
  return JSON.stringify(
    r.clockOk
      ? { id, node, seq, type, ts, via, v, radio }
      : { id, node, seq, type, ts, via, v, radio, clock_ok: false },
  );
}

/** `{"gw":…,"batch":"<ulid>","readings":[…]}` */
export function readingsBatchJson(
  gatewayId: string,
  batchId: string,
  rows: readonly OutboxReadingRow[],
): string {
  return readingsBatchWithin(gatewayId, batchId, rows, Number.POSITIVE_INFINITY).json;
}

/**
 * The longest prefix of `rows` whose batch JSON stays within `maxBytes` (UTF-8), and that JSON. At
 * least one row, even when that one alone is larger: it then goes alone rather than block the
 * outbox forever behind it. Measured before deflate, so a compressed batch is smaller still.
 */
export function readingsBatchWithin(
  gatewayId: string,
  batchId: string,
  rows: readonly OutboxReadingRow[],
  maxBytes: number,
): { json: string; count: number } {
  return readingsBatchOfJson(gatewayId, batchId, rows.map(readingJson), maxBytes);
}

/**
 * `readingsBatchWithin` for readings already serialized (`readingJson` each, or the outbox's
 * `nextReadingsJson`). A UTF-16 unit is at most 3 UTF-8 bytes: when three times the characters
 * fit, the batch fits and no byte is counted (the drain's usual case, 200 readings ≈ 31 KB).
 */
export function readingsBatchOfJson(
  gatewayId: string,
  batchId: string,
  readings: readonly string[],
  maxBytes: number,
): { json: string; count: number } {
  const head = readingsBatchHead(gatewayId, batchId);
  const tail = BATCH_TAIL;
  let chars = head.length + tail.length;
  for (const r of readings) chars += r.length + 1;
  if (chars * 3 <= maxBytes) return { json: head + readings.join(',') + tail, count: readings.length };
  let s = head;
  let bytes = Buffer.byteLength(head) + tail.length;
  let count = 0;
  for (const r of readings) {
    const add = Buffer.byteLength(r) + (count > 0 ? 1 : 0);
    if (count > 0 && bytes + add > maxBytes) break;
    s += count > 0 ? ',' + r : r;
    bytes += add;
    count++;
  }
  return { json: s + tail, count };
}

/** What a readings batch's JSON starts with, before its readings. */
function readingsBatchHead(gatewayId: string, batchId: string): string {
  return '{"gw":' + JSON.stringify(gatewayId) + ',"batch":' + JSON.stringify(batchId) + ',"readings":[';
}

const BATCH_TAIL = ']}';

/**
 * A batch around readings already joined by ',' as UTF-8 (a pack taken whole,
 * store/outbox-packs.ts): the same bytes `readingsBatchOfJson` makes of the same readings, built
 * without a string of any reading.
 */
export function readingsBatchOfBody(gatewayId: string, batchId: string, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(readingsBatchHead(gatewayId, batchId)), body, Buffer.from(BATCH_TAIL)]);
}

/**
 * The most bytes readings joined by ',' may have for their batch (its ids `batchIdLength` long) to
 * stay within `maxBytes`.
 */
export function readingsBodyBudget(gatewayId: string, batchIdLength: number, maxBytes: number): number {
  return maxBytes - Buffer.byteLength(readingsBatchHead(gatewayId, 'x'.repeat(batchIdLength)) + BATCH_TAIL);
}

/** Raw deflate of the same JSON, for `.../readings/z`. */
export function deflatePayload(json: string | Uint8Array): Buffer {
  return deflateRawSync(typeof json === 'string' ? Buffer.from(json, 'utf8') : json);
}

/** The inverse, for consumers and tests. */
export function inflatePayload(buf: Uint8Array): string {
  return inflateRawSync(buf).toString('utf8');
}

/** Keys the wire shape owns; an event's fields cannot override them. */
const RESERVED = new Set(['id', 'ts', 'kind', 'village_code']);

/**
 * `{"id","ts","kind",...fields,"village_code"}`. A `level` event back to NORMAL is the
 * all-clear and always carries `"all_clear":true`, whatever the engine put in its fields.
 */
export function eventPayload(
  e: { id: string; ts: number; kind: string; fields: EventFields },
  villageCode: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, ts: e.ts, kind: e.kind };
  for (const [k, v] of Object.entries(e.fields)) {
    if (!RESERVED.has(k) && v !== undefined) out[k] = v;
  }
  if (e.kind === 'level' && e.fields.level === 'NORMAL') out.all_clear = true;
  out.village_code = villageCode;
  return out;
}

/**
 * A CAP document (event kind `cap`) travels as its own XML, UTF-8, on `.../cap`: CAP consumers
 * read the document, not our event envelope. Undefined for every other event.
 */
export function capXml(kind: string, fields: EventFields | string): string | undefined {
  if (kind !== 'cap') return undefined;
  try {
    const f = typeof fields === 'string' ? (JSON.parse(fields) as EventFields) : fields;
    return typeof f.xml === 'string' ? f.xml : undefined;
  } catch {
    return undefined;
  }
}

/** The event payload from a stored outbox row (fields are JSON text). */
export function eventRowJson(row: OutboxEventRow, villageCode: string): string {
  let fields: EventFields;
  try {
    const parsed: unknown = JSON.parse(row.fields);
    fields =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as EventFields) : {};
  } catch {
    // A corrupt fields column must not block the outbox: the event still goes out with its id.
    fields = { fields_error: 'unparseable' };
  }
  return JSON.stringify(eventPayload({ id: row.id, ts: row.ts, kind: row.kind, fields }, villageCode));
}

export interface SiteInfo {
  name: string;
  village_code: string;
  park: string;
  lat: number;
  lon: number;
}

/** What the gateway supplies for the retained status (the forwarder adds online, ts, backlog). */
export interface StatusFields {
  version: string;
  uptime_s: number;
  site?: SiteInfo;
  clock_ok: boolean;
  levels: Record<string, string>;
  nodes: { total: number; offline: number };
  /** Anything else the gateway wants the centre to see (uplink state, storage_error…). */
  [extra: string]: unknown;
}

/** `{"online":true,"ts":…,"version":…,"uptime_s":…,"site":…,"clock_ok":…,"levels":…,"backlog":…,"nodes":…}` */
export function statusPayload(f: StatusFields, ts: number, backlog: number): string {
  const { version, uptime_s, site, clock_ok, levels, nodes, ...rest } = f;
  const out: Record<string, unknown> = { online: true, ts, version, uptime_s };
  if (site !== undefined) out.site = site;
  out.clock_ok = clock_ok;
  out.levels = levels;
  out.backlog = backlog;
  out.nodes = nodes;
  for (const [k, v] of Object.entries(rest)) if (!(k in out) && k !== 'online') out[k] = v;
  return JSON.stringify(out);
}

/** The Last Will, and what a gateway that shuts down cleanly publishes itself. */
export const OFFLINE_STATUS = '{"online":false}';

export function offlineStatusPayload(ts?: number): string {
  return ts === undefined ? OFFLINE_STATUS : JSON.stringify({ online: false, ts });
}

/** The state of one node, as the gateway tracks it (store/node-state.ts NodeState fits). */
export interface NodePayloadInput {
  node: string;
  online: boolean | null;
  last_seen: number | null;
  bat: number | null;
  rssi: number | null;
  seq: number | null;
  lost: number;
  resets: number;
}

/** Retained `.../nodes/<node>`: `{"node","online","last_seen","bat","rssi","seq","lost","resets"}` */
export function nodePayload(n: NodePayloadInput): string {
  return JSON.stringify({
    node: n.node,
    online: n.online ?? false,
    last_seen: n.last_seen,
    bat: n.bat,
    rssi: n.rssi,
    seq: n.seq,
    lost: n.lost,
    resets: n.resets,
  });
}

export type CommandResponse =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; error: string };

export function commandResponseJson(r: CommandResponse): string {
  return JSON.stringify(r);
}
