import type { Logger } from 'pino';
import { parseLine } from '../codecs/line.js';
import type { SeqVerdict } from '../codecs/sequence.js';
import type { Clock, Frame, Parsed, Radio, Reading, Via } from '../domain/index.js';
import { ok, reject } from '../domain/index.js';
import type { StoreWriter } from '../store/writer.js';
import { idFactory } from '../util/ids.js';
import { clampNodeTs } from './clamp-ts.js';
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
  /** storage.retention_days: a node ts that jumps back further than this is not believed. */
  retentionDays?: number;
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
  /** Per node, the ts its previous reading was stored under (clampNodeTs). */
  private readonly lastTs = new Map<string, number>();

  constructor(private readonly deps: IngestDeps) {
    // A reading counts as received once committed (its node may already have deleted it).
    deps.writer.onCommitted(({ readings }) => {
      // One count per run of readings from the same radio, not one per reading (P1).
      let run = 0;
      for (let i = 0; i < readings.length; i++) {
        run++;
        const via = (readings[i] as Reading).via;
        if (i + 1 === readings.length || readings[i + 1]?.via !== via) {
          deps.counters.count('ingest', via, run);
          run = 0;
        }
      }
    });
  }

  /**
   * For senders that are acknowledged (the local broker's PUBACK): resolves once the reading
   * (or, for a refused duplicate, the original still pending) is committed, expedited to
   * max_delay_ms. On a full disk it resolves all the same: the reading is held in memory and
   * counted in status, and a node re-sending it would only be refused as a duplicate.
   */
  async acceptLineCommitted(line: string, meta: FrameMeta): Promise<Parsed<Reading>> {
    const res = this.acceptLine(line, meta);
    await this.deps.writer.committed();
    return res;
  }

  /**
   * A node's publish on the local broker: one line (latin1, the trailing newline dropped), from
   * the node the client logged in as. Resolves once committed, so the PUBACK waits (issue 11.8).
   */
  acceptNodePayload(node: string, payload: Buffer): Promise<Parsed<Reading>> {
    const line = payload.toString('latin1').replace(/\r?\n$/, '');
    return this.acceptLineCommitted(line, { via: 'mqtt', from: `mqtt:${node}`, expectNode: node });
  }

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
    let nodeTs = frame.ts !== undefined && frame.ts >= this.deps.minValidTime ? frame.ts : undefined;
    if (nodeTs !== undefined) nodeTs = this.clamp(frame.node, nodeTs, now, clockOk, meta);
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
    this.lastTs.set(r.node, r.ts);
    const state = tracker.accept(r, verdict, now);
    this.deps.writer.addReading(r, state);
    this.deps.onReading(r);
    return ok(r);
  }

  /** The node's ts, or undefined (use the gateway's time) when its clock cannot be right; counted. */
  private clamp(
    node: string,
    nodeTs: number,
    now: number,
    clockOk: boolean,
    meta: FrameMeta,
  ): number | undefined {
    const verdict = clampNodeTs({
      nodeTs,
      now,
      clockOk,
      previousTs: this.lastTs.get(node),
      retentionMs: (this.deps.retentionDays ?? 30) * 86_400_000,
    });
    if (!verdict.clamped) return nodeTs;
    this.deps.counters.count('ts_clamped', meta.via);
    this.warnOnce(
      `${node}\0ts_clamped`,
      now,
      { node, node_ts: nodeTs, used_ts: now, why: verdict.clamped },
      'node clock wrong: reading stored under the gateway time',
    );
    return undefined;
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
    const fields = { from: meta.from, reason, detail, raw: raw?.slice(0, 80) };
    if (reason === 'duplicate') this.deps.log.debug(fields, 'input rejected');
    else this.warnOnce(key, this.deps.clock.now(), fields, 'input rejected');
    return reject(reason, detail);
  }

  /** Warns at most once per WARN_EVERY_MS per key; the repeats go to debug. */
  private warnOnce(key: string, now: number, fields: Record<string, unknown>, msg: string): void {
    const last = this.lastWarn.get(key);
    if (last === undefined || now - last >= WARN_EVERY_MS) {
      this.lastWarn.set(key, now);
      this.deps.log.warn(fields, msg);
    } else {
      this.deps.log.debug(fields, msg);
    }
  }
}
