import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { OutboxReadingJson } from './outbox.js';

/**
 * Reads the outbox's next readings page in a worker thread with its own read-only connection,
 * while the main thread publishes the page before it (P4: SQLite building a page's JSON was most
 * of a drain's main-thread time). WAL readers never block the writer, nor it them.
 *
 * One request at a time, for the page after the next one: the main thread reads the next page
 * itself meanwhile, so the two read every other page side by side. `take` is synchronous, as the drain's reads are: if the worker is still
 * reading, the main thread waits for it (Atomics.wait on a shared counter the worker bumps after
 * posting the page) and then receives the page with `receiveMessageOnPort`, never through the
 * event loop. The worker lives only while a big backlog drains: the outbox starts it after a run
 * of full pages and stops it at the first short page, or when no page was taken for `IDLE_MS`,
 * so an idle gateway carries no second thread and no second page cache (P6).
 */

/** What the worker read for one request: the page's bounds and, when contiguous, its page row. */
interface PrefetchedPage {
  lo: number | null;
  hi: number | null;
  count: number;
  /** How many were asked for. */
  limit: number;
  /** The page row, `[0, null, null]` unless the page is one run of rowids. */
  row: PageRow;
}

interface Reply extends Partial<PrefetchedPage> {
  seq: number;
  error?: string;
}

/** A page not taken for this long: the drain stopped or the link is down; the thread goes. */
const IDLE_MS = 5000;
/** The worker never takes this long for one page unless it is stuck; the drain reads itself then. */
const WAIT_MS = 10_000;

// CommonJS in an eval'd worker, so it runs the same from src/ (tests) and dist/ (the gateway).
const WORKER_CODE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const { port, flag } = workerData;
const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -512');
const bounds = db.prepare(workerData.bounds).raw(true);
const page = db.prepare(workerData.page).raw(true);
port.on('message', (m) => {
  let reply;
  try {
    const [lo, hi, count] = bounds.get(m.afterOid, m.limit);
    const row = lo !== null && hi - lo + 1 === count ? page.get(lo, hi) : null;
    reply = { seq: m.seq, limit: m.limit, lo, hi, count, row };
  } catch (e) {
    reply = { seq: m.seq, error: String((e && e.message) || e) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, m.seq);
  Atomics.notify(flag, 0);
});
`;

export interface PrefetchSql {
  /** `(afterOid, limit)` → `[lo, hi, count]` of the queued rowids. */
  bounds: string;
  /** `(lo, hi)` → the page row. */
  page: string;
}

/** Pages the worker reads per request, for each page this thread reads itself. */
export const PREFETCH_PAGES = 3;
/** Full pages in a row before the worker starts: 1,000 readings at 200 a page, a backlog. */
export const PREFETCH_AFTER_PAGES = 5;

/**
 * The read-ahead policy and its buffer. Once `PREFETCH_AFTER_PAGES` full pages came in a row,
 * the worker reads the `PREFETCH_PAGES` pages after the next one (pages are nearly always one run
 * of rowids, so "after the next" is `limit` rowids on) while this thread reads the next itself;
 * then it hands them out from the buffer and asks for the following ones at once. A short page
 * is the end of the backlog and ends the worker: pages read ahead could lack readings committed
 * since, so the tail is always read on this thread.
 */
export class PageReadAhead {
  private readonly worker: PageWorker;
  private ready: OutboxReadingJson[] = [];
  private readyFrom = 0;
  /** The rowid the next page handed out from `ready` must follow. */
  private readyAfter = -1;
  private fullPages = 0;

  constructor(path: string, sql: PrefetchSql) {
    this.worker = new PageWorker(path, sql);
  }

  /** The worker thread is running. */
  get running(): boolean {
    return this.worker.running;
  }

  /**
   * Up to `limit` readings after `afterOid` read ahead, or undefined (the caller reads itself).
   * A run read in the worker is as good as one read now: rows after the cursor are neither sent
   * nor PUBACKed yet, readings are never changed, and readings committed since come after it.
   */
  next(limit: number, afterOid: number): OutboxReadingJson[] | undefined {
    if (this.readyFrom < this.ready.length && afterOid !== this.readyAfter) this.dropReady();
    if (this.readyFrom >= this.ready.length) {
      const pre = this.worker.take(afterOid);
      if (!pre) return undefined;
      const pages =
        pre.lo !== null && pre.count === pre.limit ? splitPage(pre.row, pre.lo, pre.count) : undefined;
      // Short (the backlog ends) or not one run: this thread reads from here on.
      if (!pages) {
        this.end();
        return undefined;
      }
      this.ready = pages;
      this.readyFrom = 0;
      this.readyAfter = afterOid;
      this.worker.request(pre.limit, (pre.hi ?? 0) + limit);
    }
    const out = this.ready.slice(this.readyFrom, this.readyFrom + limit);
    this.readyFrom += out.length;
    this.readyAfter = out.at(-1)?.[0] ?? afterOid;
    if (this.readyFrom >= this.ready.length) this.dropReady();
    return out;
  }

  /** This thread read a page of `count` (asked `limit`) ending at `hi`. */
  afterPage(limit: number, hi: number, count: number): void {
    if (count < limit) {
      this.end();
      return;
    }
    this.fullPages++;
    if (this.fullPages >= PREFETCH_AFTER_PAGES && !this.worker.asked)
      this.worker.request(limit * PREFETCH_PAGES, hi + limit);
  }

  /** No more reading ahead until the next run of full pages; the worker thread ends. */
  end(): void {
    this.fullPages = 0;
    this.dropReady();
    if (this.worker.running) this.worker.stop();
  }

  private dropReady(): void {
    this.ready = [];
    this.readyFrom = 0;
    this.readyAfter = -1;
  }
}

/** Between the readings of a page string: a control character, which JSON text only holds escaped. */
export const PIECE_SEP = '\x1e';

/** A page read as one row: `[count, rids joined by ',', JSON joined by PIECE_SEP]`. */
export type PageRow = [count: number, rids: string | null, json: string | null];

/**
 * The page string cut into `[rid, json]`, or undefined unless it is exactly the `count` readings
 * of `lo, lo + 1, …` in that order (a reading missing, a stray separator, another scan order):
 * the caller then reads the page row by row, which never guesses.
 */
export function splitPage(
  [found, rids, json]: PageRow,
  lo: number,
  count: number,
): OutboxReadingJson[] | undefined {
  if (found !== count || rids === null || json === null) return undefined;
  const pieces = json.split(PIECE_SEP);
  if (pieces.length !== count) return undefined;
  const out = new Array<OutboxReadingJson>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    // The rowids string is "lo,lo+1,…": parsed in place, no array of substrings.
    const comma = rids.indexOf(',', at);
    const end = comma === -1 ? rids.length : comma;
    if (Number(rids.slice(at, end)) !== lo + i) return undefined;
    at = end + 1;
    out[i] = [lo + i, pieces[i] as string];
  }
  return at === rids.length + 1 ? out : undefined;
}

/** The thread itself: one request at a time. */
class PageWorker {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private seq = 0;
  private pending: { seq: number; afterOid: number } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly sql: PrefetchSql,
  ) {}

  /** The worker thread is running. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** A page was asked for and not taken yet. */
  get asked(): boolean {
    return this.pending !== undefined;
  }

  /** Asks for the page of `limit` rows after `afterOid` (starting the worker if needed). */
  request(limit: number, afterOid: number): void {
    const port = this.port ?? this.start();
    this.seq = (this.seq % 0x7ffffffe) + 1;
    this.pending = { seq: this.seq, afterOid };
    port.postMessage({ seq: this.seq, afterOid, limit });
    this.armIdle();
  }

  /**
   * The page asked for with exactly these arguments, once the worker has it; undefined when none
   * was asked for (the caller then reads itself) or the worker failed (it is stopped).
   */
  take(afterOid: number): PrefetchedPage | undefined {
    const want = this.pending;
    const port = this.port;
    if (!want || !port) return undefined;
    // Not there yet (the caller reads the page before it itself): kept for when it is.
    if (afterOid < want.afterOid) return undefined;
    this.pending = undefined;
    // Passed it (the pages were not one run): its answer is dropped when it comes.
    if (want.afterOid !== afterOid) return undefined;
    const reply = this.receive(port, want.seq);
    if (!reply || reply.error !== undefined || reply.count === undefined) {
      // A stuck or failing worker costs one synchronous page, and the next run starts a fresh one.
      this.stop();
      return undefined;
    }
    return {
      lo: reply.lo ?? null,
      hi: reply.hi ?? null,
      count: reply.count,
      limit: reply.limit ?? 0,
      row: reply.row ?? [0, null, null],
    };
  }

  /** Ends the worker (its connection closes with it). Safe to call at any time. */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.pending = undefined;
    this.port?.close();
    void this.worker?.terminate();
    this.worker = undefined;
    this.port = undefined;
  }

  private start(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: {
        sqlite,
        path: this.path,
        bounds: this.sql.bounds,
        page: this.sql.page,
        port: port2,
        flag: this.flag,
      },
      transferList: [port2],
    });
    // A failing worker shows in `take` (no reply in time); it must not crash the gateway.
    worker.on('error', () => {});
    worker.unref();
    this.worker = worker;
    this.port = port1;
    return port1;
  }

  /** Waits for the reply `seq` (earlier replies, for requests given up, are dropped). */
  private receive(port: MessagePort, seq: number): Reply | undefined {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const m = receiveMessageOnPort(port);
      if (m) {
        const reply = m.message as Reply;
        if (reply.seq === seq) return reply;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const seen = Atomics.load(this.flag, 0);
      // Posted before the counter moves: once it is `seq`, the reply is on the port.
      if (seen !== seq) Atomics.wait(this.flag, 0, seen, left);
    }
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_MS);
    this.idleTimer.unref();
  }
}
