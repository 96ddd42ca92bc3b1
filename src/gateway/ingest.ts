import type { Logger } from 'pino';
import type { Clock, Frame, Parsed, Radio, Reading, Via } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';
import { parseLine } from '../ingest/line.js';
import type { SeqVerdict } from '../ingest/sequence.js';
import type { StoreWriter } from '../store/writer.js';
import { idFactory } from '../util/ids.js';
import type { Counters } from './counters.js';
import type { NodeTracker } from './node-tracker.js';

export interface FrameMeta {
  via: Via;
  /** Where it came from, for logs: a serial port path, a broker client, a LoRa gateway EUI. */
  from: string;
  radio?: Radio;
  /** The LoRa layer already checked FCnt against replay; skip the serial sequence rules. */
  seqChecked?: boolean;
  /** Local-broker frames must be from the node the client authenticated as. */
  expectNode?: string;
}

export interface IngestDeps {
  tracker: NodeTracker;
  writer: StoreWriter;
  clock: Clock;
  counters: Counters;
  log: Logger;
  /** Epoch ms before which the wall clock is taken as unsynced (no RTC after a power cut). */
  minValidTime: number;
  /** The accepted reading, before its commit: detection must not wait for the disk. */
  onReading: (r: Reading) => void;
}

/** Warn about the same (source, reason) at most this often; every rejection is still counted. */
const WARN_EVERY_MS = 60_000;

/**
 * The one path every reading takes, whatever the radio: decode → known node → sequence rules →
 * Reading (ULID, clock flag) → group commit + node state → detection.
 */
export class Ingest {
  private readonly ulid = idFactory();
  private readonly lastWarn = new Map<string, number>();

  constructor(private readonly deps: IngestDeps) {}

  acceptLine(line: string, meta: FrameMeta): Parsed<Reading> {
    const parsed = parseLine(line);
    if (!parsed.ok) return this.refuse(meta, parsed.reason, parsed.detail, line);
    return this.acceptFrame(parsed.value, meta);
  }

  acceptFrame(frame: Frame, meta: FrameMeta): Parsed<Reading> {
    const { tracker, clock } = this.deps;
    if (!tracker.has(frame.node)) return this.refuse(meta, 'unknown_node', frame.node);
    if (meta.expectNode !== undefined && meta.expectNode !== frame.node) {
      return this.refuse(meta, 'node_mismatch', `${frame.node} sent by ${meta.expectNode}`);
    }
    let verdict: SeqVerdict | undefined = tracker.checkSeq(frame.node, frame.seq);
    // LoRa already refused replays by FCnt; its seq verdict only feeds the lost counter.
    if (meta.seqChecked && verdict.kind === 'duplicate') verdict = undefined;
    if (verdict?.kind === 'duplicate') {
      tracker.noteDuplicate(frame.node);
      return this.refuse(meta, 'duplicate', `${frame.node} seq ${frame.seq}`);
    }
    const now = clock.now();
    const clockOk = now >= this.deps.minValidTime;
    const nodeTs = frame.ts !== undefined && frame.ts >= this.deps.minValidTime ? frame.ts : undefined;
    const r: Reading = {
      id: this.ulid(now),
      node: frame.node,
      seq: frame.seq,
      type: frame.type,
      ts: nodeTs ?? now,
      via: meta.via,
      v: frame.v,
      clockOk: clockOk || nodeTs !== undefined,
    };
    if (meta.radio) r.radio = meta.radio;
    const state = tracker.accept(r, verdict, now);
    this.deps.writer.addReading(r, state);
    this.deps.counters.count('ingest', meta.via);
    this.deps.onReading(r);
    return ok(r);
  }

  /** Counts and logs a rejection; used by the radios for their own reasons too. */
  refuse<T = Reading>(
    meta: Pick<FrameMeta, 'via' | 'from'>,
    reason: string,
    detail?: string,
    raw?: string,
  ): Parsed<T> {
    this.deps.counters.count(meta.via, reason);
    const key = `${meta.from}\0${reason}`;
    const now = this.deps.clock.now();
    const last = this.lastWarn.get(key);
    const fields = { from: meta.from, reason, detail, raw: raw?.slice(0, 80) };
    if (reason !== 'duplicate' && (last === undefined || now - last >= WARN_EVERY_MS)) {
      this.lastWarn.set(key, now);
      this.deps.log.warn(fields, 'input rejected');
    } else {
      this.deps.log.debug(fields, 'input rejected');
    }
    return reject(reason, detail);
  }
}
