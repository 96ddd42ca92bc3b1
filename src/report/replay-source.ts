import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isReadingType, type Reading, UsageError, type Values, type Via } from '../domain/index.js';
import { openDb } from '../store/db.js';
import { type ReadingRow, rowToReading } from '../store/readings.js';

/**
 * Where `siaga replay --from` reads stored readings: a gateway's SQLite database (opened read-only,
 * so a running gateway is not disturbed) or a readings CSV as `siaga export` writes it. Both are
 * streamed in ts order, so a month of readings never sits in memory at once.
 */

const SQLITE_MAGIC = 'SQLite format 3\0';
const CHUNK = 1 << 20;
/** The columns of `siaga export` a replay needs; the others (site, radio, local time) are ignored. */
const NEEDED = ['node', 'type', 'ts', 'values'] as const;

export interface ReplaySource {
  kind: 'db' | 'csv';
  readings: Iterable<Reading>;
  /** Rows that could not be read as a reading (CSV only), with their line numbers; filled as it streams. */
  skipped: { line: number; why: string }[];
  close(): void;
}

function head(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(
      `cannot read ${path} (${code}); give --from a gateway database (siaga.db) or a CSV from siaga export`,
    );
  }
  try {
    const buf = Buffer.alloc(SQLITE_MAGIC.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Opens `path` as a database or a readings CSV, whichever it is. */
export function openReplaySource(path: string): ReplaySource {
  return head(path) === SQLITE_MAGIC ? dbSource(path) : csvSource(path);
}

function dbSource(path: string): ReplaySource {
  const db = openDb(path, { readonly: true });
  let rows: IterableIterator<ReadingRow>;
  try {
    rows = db.prepare('SELECT * FROM readings ORDER BY ts, rid').iterate() as IterableIterator<ReadingRow>;
  } catch (e) {
    db.close();
    throw new UsageError(`${path} is an SQLite file but not a siaga database (${(e as Error).message})`);
  }
  function* readings(): Generator<Reading> {
    for (const r of rows) yield rowToReading(r);
  }
  return { kind: 'db', readings: readings(), skipped: [], close: () => db.close() };
}

/** Lines of a file read in chunks; a quoted field may hold a line break (RFC 4180). */
function* records(path: string): Generator<{ line: number; fields: string[] }> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    // A multi-byte character split between two chunks is held back, not decoded in halves.
    const dec = new StringDecoder('utf8');
    let carry = '';
    let line = 0;
    let startLine = 1;
    let fields: string[] = [];
    let field = '';
    let quoted = false;
    let afterQuote = false;
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      const text = carry + (n === 0 ? dec.end() : dec.write(buf.subarray(0, n)));
      carry = '';
      const last = n === 0;
      for (let i = 0; i < text.length; i++) {
        const c = text[i] as string;
        if (quoted) {
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i++;
            } else if (i + 1 >= text.length && !last) {
              carry = '"';
              break;
            } else {
              quoted = false;
              afterQuote = true;
            }
          } else {
            if (c === '\n') line++;
            field += c;
          }
        } else if (c === '"' && field === '' && !afterQuote) {
          quoted = true;
        } else if (c === ',') {
          fields.push(field);
          field = '';
          afterQuote = false;
        } else if (c === '\n' || c === '\r') {
          if (c === '\r' && text[i + 1] === '\n') i++;
          else if (c === '\r' && i + 1 >= text.length && !last) {
            carry = '\r';
            break;
          }
          line++;
          fields.push(field);
          yield { line: startLine, fields };
          startLine = line + 1;
          fields = [];
          field = '';
          afterQuote = false;
        } else {
          field += c;
        }
      }
      if (last) {
        if (field !== '' || fields.length > 0) {
          fields.push(field);
          yield { line: startLine, fields };
        }
        return;
      }
    }
  } finally {
    closeSync(fd);
  }
}

function csvSource(path: string): ReplaySource {
  const it = records(path);
  const first = it.next();
  const header = first.done ? [] : first.value.fields;
  const col = Object.fromEntries(NEEDED.map((c) => [c, header.indexOf(c)])) as Record<
    (typeof NEEDED)[number],
    number
  >;
  const missing = NEEDED.filter((c) => col[c] < 0);
  if (missing.length > 0) {
    it.return(undefined);
    throw new UsageError(
      `${path} is neither a siaga database nor a readings CSV of siaga export (no column ${missing.join(', ')}); export one with: siaga export --from 30d -o readings.csv`,
    );
  }
  const at = (name: string) => header.indexOf(name);
  const cId = at('id');
  const cSeq = at('seq');
  const cVia = at('via');
  const cClock = at('clock_ok');
  const skipped: ReplaySource['skipped'] = [];
  let lastTs = Number.NEGATIVE_INFINITY;
  function* readings(): Generator<Reading> {
    for (const { line, fields } of it) {
      if (fields.length === 1 && fields[0] === '') continue;
      const get = (i: number) => (i >= 0 ? (fields[i] ?? '') : '');
      const type = get(col.type);
      const ts = Number(get(col.ts));
      let v: unknown;
      try {
        v = JSON.parse(get(col.values));
      } catch {
        v = undefined;
      }
      const why = !isReadingType(type)
        ? `unknown type "${type}"`
        : !Number.isSafeInteger(ts)
          ? `ts "${get(col.ts)}" is not epoch milliseconds`
          : typeof v !== 'object' || v === null || Array.isArray(v)
            ? 'values is not a JSON object'
            : get(col.node) === ''
              ? 'no node'
              : ts < lastTs
                ? 'out of ts order (export sorts by ts; was the file edited?)'
                : undefined;
      if (why !== undefined || !isReadingType(type)) {
        skipped.push({ line, why: why ?? 'unreadable' });
        continue;
      }
      lastTs = ts;
      yield {
        id: get(cId) || `csv-${line}`,
        node: get(col.node),
        seq: Number(get(cSeq)) || 0,
        type,
        ts,
        via: (get(cVia) || 'serial') as Via,
        v: v as Values,
        clockOk: get(cClock) !== 'false',
      };
    }
  }
  return { kind: 'csv', readings: readings(), skipped, close: () => it.return(undefined) };
}
