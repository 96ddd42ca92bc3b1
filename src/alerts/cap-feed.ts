import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from 'xmlbuilder2';
import { StorageError } from '../domain/errors.js';
import { ok, type Parsed, reject } from '../domain/result.js';
import type { CapDocument } from './cap.js';

/**
 * Every CAP document also lands as a file in `alerts.cap.dir`, and the folder is read back as an
 * Atom feed (newest first) that the status page serves: BPBD's systems poll CAP feeds in Atom.
 */

const ATOM_NS = 'http://www.w3.org/2005/Atom';

/** What the feed tells of one document. */
export interface CapFeedEntry {
  identifier: string;
  sender: string;
  sent: string;
  /** epoch ms of `sent` */
  sentAt: number;
  msgType: string;
  status: string;
  /** The first `<info>`'s headline (Indonesian), or the message type when there is none (Ack). */
  title: string;
  /** The file's name in the folder, linked from the entry. */
  file: string;
}

/**
 * `20261201T124205Z-siaga-<incident>-002.xml`: the UTC second first, so a plain sort of the
 * folder is the order the documents were sent in; the identifier keeps names unique.
 */
export function capFileName(doc: Pick<CapDocument, 'sentAt' | 'identifier'>): string {
  const utc = new Date(doc.sentAt)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${utc}-${doc.identifier.replace(/[^A-Za-z0-9._-]/g, '_')}.xml`;
}

/** Where `writeCapFile` puts the document: known before the write, so the `cap` event can name it. */
export function capFilePath(dir: string, doc: Pick<CapDocument, 'sentAt' | 'identifier'>): string {
  return join(dir, capFileName(doc));
}

/**
 * Writes the document whole or not at all: a temp file, fsync, rename, so a power cut never
 * leaves a half document that the feed (or BPBD) would read. Resolves to the file's path.
 *
 * Asynchronous (libuv's thread pool): an fsync on an SD card takes milliseconds to tens of them,
 * two per document, and an incident in 100 zones at once writes 100 documents. Done on the event
 * loop, that blocked sirens and readings for 160–460 ms (bench A3, 2 December).
 */
export async function writeCapFile(dir: string, doc: CapDocument): Promise<string> {
  const path = capFilePath(dir, doc);
  const tmp = join(dir, `.${capFileName(doc)}.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const file = await open(tmp, 'w', 0o644);
    try {
      await file.writeFile(doc.xml);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    // The rename itself must reach the card too, or a power cut can lose the whole file.
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch (err) {
    // The folder itself may be the problem (the error below names it): then no temp file was left.
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StorageError(
      `cannot write CAP document ${doc.identifier} to ${dir} (${code}); check that the folder exists and user siaga may write it`,
      undefined,
      { cause: err },
    );
  }
  return path;
}

type XmlObject = { [k: string]: unknown };

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '#' in v && typeof (v as XmlObject)['#'] === 'string') {
    return (v as XmlObject)['#'] as string;
  }
  return undefined;
}

/** Reads what the feed needs from one CAP document; a file that is no CAP alert gets a reason. */
export function parseCapFeedEntry(xml: string, file: string): Parsed<CapFeedEntry> {
  // xmlbuilder2's reader forgives a cut-off end; a half-written file must not count as a document.
  if (!/<\/(?:[\w.-]+:)?alert>\s*$/.test(xml))
    return reject('not a whole CAP document (no closing </alert>)');
  let obj: XmlObject;
  try {
    obj = create(xml).end({ format: 'object' }) as XmlObject;
  } catch (err) {
    return reject(`not well-formed XML: ${(err as Error).message}`);
  }
  const alert = obj.alert;
  if (!alert || typeof alert !== 'object') return reject('no CAP <alert> element');
  const a = alert as XmlObject;
  const fields: Record<string, string> = {};
  for (const name of ['identifier', 'sender', 'sent', 'status', 'msgType']) {
    const v = text(a[name]);
    if (v === undefined) return reject(`no <${name}>`);
    fields[name] = v;
  }
  const { identifier = '', sender = '', sent = '', status = '', msgType = '' } = fields;
  const sentAt = Date.parse(sent);
  if (Number.isNaN(sentAt)) return reject(`<sent> "${sent}" is no time`);
  const infos = a.info === undefined ? [] : Array.isArray(a.info) ? a.info : [a.info];
  const title = text((infos[0] as XmlObject | undefined)?.headline) ?? msgType;
  return ok({ identifier, sender, sent, sentAt, msgType, status, title, file });
}

export interface CapFolder {
  entries: CapFeedEntry[];
  /** Files in the folder that are not CAP documents: kept, never deleted, named with the reason. */
  skipped: { file: string; reason: string }[];
}

/**
 * Reads `alerts.cap.dir` for the feed without holding up the event loop the sirens run on: the
 * folder and its files by promise, and each document parsed once. A CAP file is written once under
 * its final name (`writeCapFile`), so a parse is kept while the file keeps its size and mtime, for
 * the newest documents the feed shows; reading the folder with 100 documents again parsed them all
 * on every request.
 */
export class CapFolderReader {
  private readonly parsed = new Map<string, { size: number; mtimeMs: number; entry: Parsed<CapFeedEntry> }>();

  /** The newest `limit` documents of the folder (by file name, which sorts by time). */
  async read(dir: string, limit = 100): Promise<CapFolder> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: [] };
      throw new StorageError(
        `cannot read the CAP folder ${dir} (${(err as NodeJS.ErrnoException).code})`,
        undefined,
        { cause: err },
      );
    }
    const files = names
      .filter((n) => n.endsWith('.xml') && !n.startsWith('.'))
      .sort()
      .reverse()
      .slice(0, limit);
    const paths = files.map((file) => join(dir, file));
    const parsed = await Promise.all(files.map((file, i) => this.entry(paths[i] as string, file)));
    // Only the documents shown now stay parsed (the folder's others, and other folders', go).
    const shown = new Set(paths);
    for (const path of this.parsed.keys()) if (!shown.has(path)) this.parsed.delete(path);
    const out: CapFolder = { entries: [], skipped: [] };
    files.forEach((file, i) => {
      const p = parsed[i] as Parsed<CapFeedEntry>;
      if (p.ok) out.entries.push(p.value);
      else out.skipped.push({ file, reason: p.reason });
    });
    return out;
  }

  private async entry(path: string, file: string): Promise<Parsed<CapFeedEntry>> {
    try {
      const { size, mtimeMs } = await stat(path);
      const known = this.parsed.get(path);
      if (known !== undefined && known.size === size && known.mtimeMs === mtimeMs) return known.entry;
      const entry = parseCapFeedEntry(await readFile(path, 'utf8'), file);
      this.parsed.set(path, { size, mtimeMs, entry });
      return entry;
    } catch (err) {
      return reject(`unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

export interface AtomFeedOptions {
  /** The feed's permanent id (an IRI), e.g. `urn:siaga:cap:<gateway id>`. */
  id: string;
  title: string;
  /** The feed's own address, when known (the status page's URL). */
  self?: string;
  /** Where entries' files are served, relative links when absent. */
  base?: string;
  /** The feed's `updated` when it has no entry (an empty folder); epoch ms. */
  now: number;
}

/** Atom 1.0 (RFC 4287), newest document first, each entry linking its CAP file. Pure. */
export function capAtomFeed(entries: readonly CapFeedEntry[], opts: AtomFeedOptions): string {
  const sorted = [...entries].sort((a, b) => b.sentAt - a.sentAt || b.file.localeCompare(a.file));
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const feed = doc.ele(ATOM_NS, 'feed');
  feed.ele('id').txt(opts.id);
  feed.ele('title').txt(opts.title);
  // Atom wants RFC 3339 times; CAP's `sent` already is one, in the site's offset.
  feed.ele('updated').txt(sorted[0]?.sent ?? new Date(opts.now).toISOString());
  feed
    .ele('author')
    .ele('name')
    .txt(sorted[0]?.sender ?? 'siaga');
  if (opts.self) feed.ele('link', { rel: 'self', href: opts.self, type: 'application/atom+xml' });
  for (const e of sorted) {
    const entry = feed.ele('entry');
    entry.ele('id').txt(`urn:siaga:cap:${e.sender}:${e.identifier}`);
    entry.ele('title').txt(e.status === 'Actual' ? e.title : `[${e.status}] ${e.title}`);
    entry.ele('updated').txt(e.sent);
    entry.ele('author').ele('name').txt(e.sender);
    entry.ele('link', {
      rel: 'alternate',
      type: 'application/cap+xml',
      href: `${opts.base ?? ''}${encodeURIComponent(e.file)}`,
    });
    entry.ele('summary').txt(`${e.msgType} ${e.identifier}`);
  }
  return doc.end({ prettyPrint: true });
}

/** The folder as the status page serves it: the feed, and what was left out and why. */
export async function capFolderFeed(
  reader: CapFolderReader,
  dir: string,
  opts: AtomFeedOptions & { limit?: number },
): Promise<{ xml: string; skipped: CapFolder['skipped'] }> {
  const folder = await reader.read(dir, opts.limit);
  return { xml: capAtomFeed(folder.entries, opts), skipped: folder.skipped };
}
