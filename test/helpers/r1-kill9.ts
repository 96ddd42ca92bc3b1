import { chmodSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { encodeSg1 } from '../../src/codecs/sg1.js';
import type { ReadingType } from '../../src/domain/index.js';
import { openDb } from '../../src/store/db.js';
import { loadNodeStates } from '../../src/store/node-state.js';
import { tmpDir } from './gateway.js';
import { GatewayProcess, type LogLine } from './gateway-process.js';
import { must } from './must.js';
import { createPtyPair, type PtyPair } from './socat.js';

/**
 * R1 (docs/quality.md): `kill -9` the real gateway process at random moments while SG1 frames stream
 * into its serial pty, then check the SQLite file and restart on it. Shared by the quick
 * integration test (3 rounds) and the slow suite (50 rounds).
 *
 * Invariants checked after every kill (see `checkDb`):
 * - `PRAGMA integrity_check` = ok;
 * - every reading acknowledged by a `commit` log line (seq ≤ upto[node]) is stored;
 * - per node the stored seqs are exactly first..max, each once, in arrival order (no hole, no
 *   duplicate) — the next round re-sends from the last acknowledged seq + 1, so anything the
 *   crash lost is sent again and anything it kept is refused as a duplicate;
 * - every reading and event has its outbox row (no uplink is configured: nothing was forwarded);
 * - node state (its rows plus the replay of the readings after its mark) agrees with the readings:
 *   seq = max stored seq, frames = rows, lost = resets = 0.
 * After every restart the siren's first command is `off`, before "gateway ready", although the
 * previous process was killed with that siren on (a btn p=1 frame drives the zone to AWAS).
 */

const STREAM_NODES: { id: string; type: ReadingType; v: Record<string, number> }[] = [
  { id: 'pir-01', type: 'pir', v: { n: 0, bat: 3.71 } },
  { id: 'pir-02', type: 'pir', v: { n: 0, bat: 3.65 } },
  { id: 'seis-01', type: 'seis', v: { pgv: 0.05, f: 8.5 } },
  { id: 'fence-01', type: 'fence', v: { kv: 7.5, bat: 12.6 } },
];
const BTN = 'btn-01';
const ALL_NODES = [...STREAM_NODES.map((n) => n.id), BTN];
/** First seq of every node: well above 16 so a re-sent old frame never reads as a node reset. */
const FIRST_SEQ = 1000;
/** Re-send at most this far back (docs/wire.md: a step back over 1000 would be a node reset). */
const MAX_RESEND = 500;
/** Besides what the crash may have lost, re-send up to this many acknowledged frames per node. */
const RESEND_ACKED = 20;

export interface Kill9Options {
  rounds: number;
  /** Frames per second written to the pty (all stream nodes together). Default 2000. */
  rate?: number;
  /** The kill comes a random 0..maxKillDelayMs after the siren sounded. Default 1500. */
  maxKillDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RoundReport {
  round: number;
  killDelayMs: number;
  acked: Record<string, number>;
  stored: Record<string, number>;
  /** Last seq per stream node written into the pty before the kill. */
  sent: Record<string, number>;
  duplicates: number;
}

export class Kill9Scenario {
  readonly dir = tmpDir('siaga-r1-');
  readonly dbPath = join(this.dir, 'siaga.db');
  private readonly sirenLog = join(this.dir, 'siren.log');
  private readonly sirenScript = join(this.dir, 'siren.sh');
  private gw: GatewayProcess | undefined;
  private pty: PtyPair | undefined;
  private writer: Writer | undefined;
  /** Highest seq per node ever acknowledged by a commit line (all rounds). */
  private readonly acked: Record<string, number> = {};
  /** Highest stored seq per node, as found in the DB after the last kill. */
  private stored: Record<string, number> = {};
  readonly reports: RoundReport[] = [];

  constructor(private readonly opts: Kill9Options) {
    writeFileSync(
      this.sirenScript,
      `#!/bin/sh\nprintf '%s %s %s\\n' "$(date +%s%N)" "$1" "$2" >> '${this.sirenLog}'\n`,
    );
    chmodSync(this.sirenScript, 0o755);
  }

  /** Kills whatever is still running and removes the temp dir; safe to call twice. */
  async cleanup(): Promise<void> {
    await this.gw?.kill9();
    this.writer?.stop();
    await this.pty?.close();
    await this.writer?.done;
    this.gw = undefined;
    this.pty = undefined;
    this.writer = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private yaml(tag: string): string {
    const nodes = [...STREAM_NODES.map((n) => `  - {id: ${n.id}, type: ${n.type}, zone: z-a}`)];
    nodes.push(`  - {id: ${BTN}, type: btn, zone: z-a}`);
    return `
gateway: {id: gw-r1, site: {name: Desa Uji, village_code: "18.07.11.2005", lat: -5.02, lon: 105.76}}
storage: {path: ${this.dbPath}}
serial: [{port: ${join(this.dir, 'gw')}, baud: 115200}]
nodes:
${nodes.join('\n')}
zones: [{id: z-a, name: Zona A, sirens: [s-a]}]
sirens: [{id: s-a, driver: command, command: ${this.sirenScript}, args: [${tag}]}]
siren_policy: {on_s: 600, off_s: 0, max_activation_s: 3600, max_on_s_per_hour: 3600}
control: {socket: ${join(this.dir, 'siaga.sock')}}
`;
  }

  /** The siren commands of one process (its config tags them), in order. */
  private sirenCommands(tag: string): string[] {
    if (!existsSync(this.sirenLog)) return [];
    return readFileSync(this.sirenLog, 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[1] === tag)
      .map((f) => f[2] ?? '');
  }

  private async waitSiren(tag: string, cmd: string, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.sirenCommands(tag).includes(cmd)) {
      if (Date.now() > end) throw new Error(`siren never got "${cmd}" in ${tag}: ${this.sirenCommands(tag)}`);
      await sleep(20);
    }
  }

  /** Starts one gateway process on a fresh pty (same device path) and checks the safe start. */
  private async boot(tag: string): Promise<GatewayProcess> {
    this.pty = await createPtyPair(this.dir, { names: ['gw', 'node'] });
    this.gw = await GatewayProcess.start({ dir: this.dir, yaml: this.yaml(tag) });
    // SirenController.start awaits every OFF before anything else, so it is on file by "ready".
    const cmds = this.sirenCommands(tag);
    expect(cmds[0], `${tag}: first siren command after (re)start`).toBe('off');
    return this.gw;
  }

  /**
   * Where each stream node continues after a restart: at or before the last acknowledged seq + 1,
   * as a node that never heard back would re-send. Up to RESEND_ACKED frames known to be
   * committed are re-sent too, so the duplicate path is exercised every round.
   */
  private resumeSeqs(): Map<string, number> {
    const next = new Map<string, number>();
    for (const n of STREAM_NODES) {
      const acked = this.acked[n.id];
      const stored = this.stored[n.id];
      let from = acked === undefined ? FIRST_SEQ : acked + 1 - Math.floor(Math.random() * (RESEND_ACKED + 1));
      if (stored !== undefined) from = Math.max(from, stored + 1 - MAX_RESEND);
      next.set(n.id, Math.max(FIRST_SEQ, from));
    }
    return next;
  }

  private btnSeq(): number {
    const s = this.stored[BTN];
    return s === undefined ? FIRST_SEQ : s + 1;
  }

  /** One crash round: boot, press the button, stream, kill -9 at a random moment, check. */
  async crashRound(round: number): Promise<RoundReport> {
    const tag = `r${round}`;
    const gw = await this.boot(tag);
    const before = { acked: { ...this.acked }, stored: { ...this.stored } };
    const pty = must(this.pty, 'the serial pty pair');
    const writer = new Writer(pty.b);
    this.writer = writer;
    await writer.open();
    // Manual alarm first: the zone goes to AWAS, the siren sounds; then the stream.
    writer.send(`${encodeSg1({ node: BTN, seq: this.btnSeq(), type: 'btn', v: { p: 1 } })}\n`);
    writer.stream(this.resumeSeqs(), this.opts.rate ?? 2000);
    await this.waitSiren(tag, 'on');
    const killDelayMs = Math.floor(Math.random() * (this.opts.maxKillDelayMs ?? 1500));
    await sleep(killDelayMs);
    const exit = await gw.kill9();
    expect(exit.signal, `${tag}: killed by SIGKILL`).toBe('SIGKILL');
    writer.stop();
    await pty.close(); // unblocks a write stuck on a full pty
    await writer.done;
    this.gw = undefined;
    this.pty = undefined;
    this.writer = undefined;

    for (const [node, seq] of Object.entries(gw.lastCommitted())) {
      this.acked[node] = Math.max(this.acked[node] ?? seq, seq);
    }
    this.checkLogs(tag, gw, before);
    this.stored = checkDb(this.dbPath, this.acked, tag);
    const report: RoundReport = {
      round,
      killDelayMs,
      acked: gw.lastCommitted(),
      stored: { ...this.stored },
      sent: Object.fromEntries(writer.written),
      duplicates: duplicatesOf(gw).length,
    };
    this.reports.push(report);
    return report;
  }

  /**
   * A last, clean round: every stream node sends `frames` more, the test waits for their
   * commits, then SIGTERM. Everything sent must be stored, and the siren must end OFF.
   */
  async cleanRound(round: number, frames = 200): Promise<void> {
    const tag = `r${round}`;
    const gw = await this.boot(tag);
    const before = { acked: { ...this.acked }, stored: { ...this.stored } };
    const writer = new Writer(must(this.pty, 'the serial pty pair').b);
    this.writer = writer;
    await writer.open();
    writer.send(`${encodeSg1({ node: BTN, seq: this.btnSeq(), type: 'btn', v: { p: 1 } })}\n`);
    const next = this.resumeSeqs();
    const last = new Map([...next].map(([node, from]) => [node, from + frames - 1]));
    writer.stream(next, this.opts.rate ?? 2000, last);
    await this.waitSiren(tag, 'on');
    for (const [node, seq] of last) {
      await gw.waitForLog(
        (l) => l.msg === 'commit' && ((l.upto as Record<string, number> | undefined)?.[node] ?? -1) >= seq,
        15_000,
      );
    }
    await writer.done;
    const exit = await gw.stop();
    expect(exit, `${tag}: clean exit on SIGTERM`).toEqual({ code: 0, signal: null });
    this.gw = undefined;
    await this.pty?.close();
    this.pty = undefined;
    this.writer = undefined;
    const cmds = this.sirenCommands(tag);
    expect(cmds.at(-1), `${tag}: siren commands ${cmds}`).toBe('off');
    for (const [node, seq] of Object.entries(gw.lastCommitted())) {
      this.acked[node] = Math.max(this.acked[node] ?? seq, seq);
    }
    this.checkLogs(tag, gw, before);
    // Every re-sent frame the DB held was refused as a duplicate (the exit flushed the log).
    let resent = 0;
    for (const [node, from] of next) resent += Math.max(0, (before.stored[node] ?? -1) - from + 1);
    expect(duplicatesOf(gw).length, `${tag}: duplicates refused`).toBe(resent);
    this.stored = checkDb(this.dbPath, this.acked, tag);
    for (const [node, seq] of last) expect(this.stored[node], `${tag}: ${node} all sent stored`).toBe(seq);
  }

  /**
   * The only refusals are duplicates, and each is a frame re-sent from before the crash that the
   * DB already held (seq in (acked, stored] as of the round's start): a continuing seq is never
   * refused. No error-level log line either.
   */
  private checkLogs(
    tag: string,
    gw: GatewayProcess,
    before: { acked: Record<string, number>; stored: Record<string, number> },
  ): void {
    const refused = gw.find('input rejected');
    const other = refused.filter((l) => l.reason !== 'duplicate');
    expect(other, `${tag}: refusals other than duplicate`).toEqual([]);
    for (const { node, seq } of duplicatesOf(gw)) {
      const stored = before.stored[node];
      expect(seq, `${tag}: ${node}#${seq} refused as duplicate but not stored before`).toBeLessThanOrEqual(
        must(stored, `${tag}: something stored for ${node} before duplicate #${seq}`),
      );
    }
    const errors = gw.logs.filter((l) => typeof l.level === 'number' && l.level >= 50);
    expect(errors, `${tag}: error log lines`).toEqual([]);
  }
}

function duplicatesOf(gw: GatewayProcess): { node: string; seq: number }[] {
  return gw
    .find('input rejected', (l: LogLine) => l.reason === 'duplicate')
    .map((l) => {
      const m = /^(\S+) seq (\d+)$/.exec(String(l.detail));
      if (!m) throw new Error(`unexpected duplicate detail ${String(l.detail)}`);
      return { node: must(m[1], 'node in duplicate detail'), seq: Number(m[2]) };
    });
}

interface NodeStateRow {
  node: string;
  seq: number | null;
  lost: number;
  resets: number;
  frames: number;
}

/** Opens the DB the killed process left (recovering its WAL) and checks every invariant. */
export function checkDb(path: string, acked: Record<string, number>, tag: string): Record<string, number> {
  const db = new Database(path, { fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true }), `${tag}: integrity_check`).toBe('ok');
    const stored: Record<string, number> = {};
    // As the restarted gateway and `siaga nodes` load them: the rows plus the readings after the mark.
    const ro = openDb(path, { readonly: true });
    const states: Map<string, NodeStateRow> = loadNodeStates(ro);
    ro.close();
    const seqsOf = db.prepare('SELECT seq FROM readings WHERE node = ? ORDER BY rid').pluck();
    for (const node of ALL_NODES) {
      const seqs = seqsOf.all(node) as number[];
      if (acked[node] !== undefined) {
        expect(
          seqs.length,
          `${tag}: ${node} acknowledged up to ${acked[node]} but nothing stored`,
        ).toBeGreaterThan(0);
      }
      if (seqs.length === 0) {
        expect(states.get(node)?.seq ?? null, `${tag}: ${node} node_state without readings`).toBeNull();
        continue;
      }
      // Exactly FIRST_SEQ, FIRST_SEQ + 1, … in arrival order: no hole, no duplicate, no reorder.
      const bad = seqs.findIndex((s, i) => s !== FIRST_SEQ + i);
      expect(
        bad,
        `${tag}: ${node} seqs not contiguous at index ${bad}: ${seqs.slice(bad - 2, bad + 3)}`,
      ).toBe(-1);
      const max = must(seqs.at(-1), `${tag}: last seq of ${node}`);
      stored[node] = max;
      if (acked[node] !== undefined) {
        expect(max, `${tag}: ${node} acknowledged commit missing from the DB`).toBeGreaterThanOrEqual(
          acked[node],
        );
      }
      const st = must(states.get(node), `${tag}: ${node} has readings but no node_state`);
      expect(
        { seq: st.seq, frames: st.frames, lost: st.lost, resets: st.resets },
        `${tag}: ${node} node_state vs readings`,
      ).toEqual({ seq: max, frames: seqs.length, lost: 0, resets: 0 });
    }
    const q = (sql: string) => db.prepare(sql).pluck().get() as number;
    expect(
      {
        readingsWithoutOutbox: q(
          'SELECT count(*) FROM readings r WHERE NOT EXISTS (SELECT 1 FROM outbox_readings o WHERE o.rid = r.rid)',
        ),
        outboxWithoutReading: q(
          'SELECT count(*) FROM outbox_readings o WHERE NOT EXISTS (SELECT 1 FROM readings r WHERE r.rid = o.rid)',
        ),
        eventsWithoutOutbox: q(
          'SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM outbox_events o WHERE o.eid = e.eid)',
        ),
        readingOutboxRows: q('SELECT count(*) FROM outbox_readings'),
        readingIdsRepeated: q('SELECT count(*) - count(DISTINCT id) FROM readings'),
      },
      `${tag}: outbox`,
    ).toEqual({
      readingsWithoutOutbox: 0,
      outboxWithoutReading: 0,
      eventsWithoutOutbox: 0,
      readingOutboxRows: q('SELECT count(*) FROM readings'),
      readingIdsRepeated: 0,
    });
    return stored;
  } finally {
    db.close();
  }
}

/**
 * Writes SG1 lines into the node end of the pty at a steady rate, in ticks of 10 ms. Writes are
 * async (libuv thread pool), so a pty that nobody reads any more cannot block the test; closing
 * socat makes a stuck write fail, which ends the loop.
 */
class Writer {
  private fh: FileHandle | undefined;
  private stopped = false;
  private queue: Promise<void> = Promise.resolve();
  /** Per node, the last seq whose write completed. */
  readonly written = new Map<string, number>();
  done: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    this.fh = await open(this.path, constants.O_WRONLY | constants.O_NOCTTY);
  }

  send(text: string): void {
    const fh = must(this.fh, 'the open pty (call open() first)');
    this.queue = this.queue.then(async () => {
      if (!this.stopped) await fh.write(text);
    });
  }

  /** Streams round-robin from `next` per node; stops at `last` per node when given. */
  stream(next: Map<string, number>, rate: number, last?: Map<string, number>): void {
    const perTick = Math.max(1, Math.round(rate / 100));
    const nodes = STREAM_NODES.filter((n) => next.has(n.id));
    const seq = new Map(next);
    let k = 0;
    const loop = async () => {
      await this.queue;
      while (!this.stopped) {
        const lines: string[] = [];
        const tick = new Map<string, number>();
        for (let i = 0; i < perTick * nodes.length && lines.length < perTick; i++) {
          const n = must(nodes[k++ % nodes.length], 'a stream node');
          const s = must(seq.get(n.id), `next seq of ${n.id}`);
          const stop = last?.get(n.id);
          if (stop !== undefined && s > stop) continue;
          seq.set(n.id, s + 1);
          tick.set(n.id, s);
          lines.push(`${encodeSg1({ node: n.id, seq: s, type: n.type, v: n.v })}\n`);
        }
        if (lines.length === 0) break;
        await must(this.fh, 'the open pty (call open() first)').write(lines.join(''));
        for (const [node, s] of tick) this.written.set(node, s);
        await sleep(10);
      }
    };
    this.done = loop()
      .catch((e: unknown) => {
        // EIO once socat is gone is the expected end of a killed round.
        if (!this.stopped) throw e;
      })
      .finally(() => this.fh?.close().catch(() => {}));
  }

  stop(): void {
    this.stopped = true;
  }
}
