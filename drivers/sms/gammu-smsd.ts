import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SmsError } from '../../src/domain/errors.js';
import type { SmsFailure, SmsGateway, SmsIncoming, SmsOutgoing, SmsPoll } from '../../src/ports/sms.js';
import { idFactory } from '../../src/util/ids.js';
import {
  type InboxName,
  isOurs,
  outboxFileName,
  parseInboxName,
  parseOutboxName,
  type SPOOL_FOLDERS,
} from './gammu-names.js';

export interface GammuSmsdOptions {
  /** `alerts.sms.spool`: gammu-smsd's FILES backend folders inbox/ outbox/ sent/ error/ are under it. */
  spool: string;
  log?: Logger;
  clock?: () => number;
  /** Ids handed over before a restart whose fate is still unknown: they are reported when settled. */
  pending?: Iterable<string>;
  /**
   * How old an inbox file must be before it is read: gammu-smsd writes inbox files in place, so a
   * file younger than this may still be half written.
   */
  inboxSettleMs?: number;
}

/** What status and doctor show of the SMS side. */
export interface GammuSmsdCounters {
  /** messages handed to gammu-smsd */
  handedOver: number;
  delivered: number;
  failed: number;
  received: number;
  /** send() refusals because the spool was missing, unwritable or full */
  spoolErrors: number;
  /** messages refused before the spool (not E.164, empty) */
  refused: number;
}

const WRITE_FAILURE: Record<string, SmsError['reason']> = {
  ENOENT: 'spool_missing',
  ENOTDIR: 'spool_unwritable',
  EACCES: 'spool_unwritable',
  EPERM: 'spool_unwritable',
  EROFS: 'spool_unwritable',
  ENOSPC: 'spool_full',
  EDQUOT: 'spool_full',
};

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * The outbox file as UTF-16 big-endian with a byte-order mark: gammu-smsd then reads the text as
 * Unicode whatever locale it runs under, while a plain file is read in the daemon's locale and an
 * `é` or `£` would arrive garbled.
 */
function ucs2File(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le.swap16()]);
}

/**
 * SMS through gammu-smsd, the daemon that owns the USB modem, over its FILES backend: siaga writes
 * outbox files (atomically, named so AWAS goes first) and reads back sent/, error/ and inbox/.
 * No AT command ever leaves Node.
 *
 * On the Pi (Debian `gammu-smsd`), /etc/gammu-smsdrc points the FILES service at the spool:
 *
 *     [gammu]
 *     device = /dev/ttyUSB0          # the modem
 *     connection = at
 *     [smsd]
 *     service = files
 *     inboxpath = /var/spool/siaga-sms/inbox/
 *     outboxpath = /var/spool/siaga-sms/outbox/
 *     sentsmspath = /var/spool/siaga-sms/sent/
 *     errorsmspath = /var/spool/siaga-sms/error/
 *
 * The four folders belong to gammu-smsd's user and a group siaga is in, mode 2770: siaga writes
 * outbox/ and empties inbox/, gammu-smsd reads what siaga wrote. That a file be readable by the
 * daemon matters more than it looks: gammu-smsd 1.42 answers an outbox file it cannot open by
 * renaming the whole outbox folder to error/.
 */
export class GammuSmsd implements SmsGateway {
  readonly counters: GammuSmsdCounters = {
    handedOver: 0,
    delivered: 0,
    failed: 0,
    received: 0,
    spoolErrors: 0,
    refused: 0,
  };
  private readonly pending: Set<string>;
  private readonly handled = new Set<string>();
  private readonly clock: () => number;
  private readonly newId = idFactory();
  private serial = 0;
  /** What the last poll could not read, for status and doctor; undefined when all was well. */
  fault: string | undefined;

  constructor(private readonly opts: GammuSmsdOptions) {
    this.clock = opts.clock ?? Date.now;
    this.pending = new Set(opts.pending ?? []);
  }

  private dir(folder: (typeof SPOOL_FOLDERS)[number]): string {
    return join(this.opts.spool, folder);
  }

  /** Ids handed over whose fate is not yet known (for the caller to persist across a restart). */
  get awaiting(): string[] {
    return [...this.pending];
  }

  async send(message: SmsOutgoing): Promise<string> {
    if (!E164.test(message.to)) {
      this.counters.refused++;
      throw new SmsError(
        'bad_recipient',
        `SMS not queued: "${message.to}" is not a phone number in E.164 (+62812…)`,
      );
    }
    if (message.text.trim() === '' || message.text.includes('\0')) {
      this.counters.refused++;
      throw new SmsError('bad_text', `SMS to ${message.to} not queued: the text is empty`);
    }
    const at = this.clock();
    const id = this.newId(at);
    const name = outboxFileName({ id, to: message.to, priority: message.priority, at, serial: this.serial });
    this.serial = (this.serial + 1) % 100;
    const outbox = this.dir('outbox');
    // gammu-smsd picks up only names starting with OUT: the dot-name is invisible to it until the
    // rename, which within one folder is atomic, so the daemon never reads half a message.
    const temp = join(outbox, `.siaga-${id}.tmp`);
    try {
      // Readable by gammu-smsd's own user: a file it cannot open makes gammu-smsd 1.42 move the
      // whole outbox folder to error/, so the mode is set outright rather than left to the umask.
      const fh = await open(temp, 'wx', 0o644);
      try {
        await fh.chmod(0o644);
        await fh.writeFile(ucs2File(message.text));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, join(outbox, name));
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw await this.spoolError(err, message.to);
    }
    this.pending.add(id);
    this.counters.handedOver++;
    this.opts.log?.debug({ id, to: message.to, file: name }, 'SMS handed to gammu-smsd');
    return id;
  }

  private async spoolError(err: unknown, to: string): Promise<SmsError> {
    this.counters.spoolErrors++;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const outbox = this.dir('outbox');
    let reason = WRITE_FAILURE[code] ?? 'spool_unwritable';
    if (reason === 'spool_missing' || reason === 'spool_unwritable') {
      const kind = await stat(outbox).then(
        (s) => (s.isDirectory() ? 'folder' : 'file'),
        () => 'none',
      );
      if (kind === 'none') reason = 'spool_missing';
    }
    const why =
      reason === 'spool_missing'
        ? `the folder ${outbox} does not exist (is gammu-smsd installed, and alerts.sms.spool its FILES spool?)`
        : reason === 'spool_full'
          ? `the disk holding ${outbox} is full`
          : `siaga may not write into ${outbox} (${code || 'error'}; add the siaga user to gammu-smsd's group)`;
    this.opts.log?.warn({ err, to, reason }, 'SMS not handed to gammu-smsd');
    return new SmsError(reason, `SMS to ${to} stays queued: ${why}`, { cause: err });
  }

  /**
   * A folder that cannot be read is logged, counted and named in `fault`, and the others are still
   * read: a lost sent/ folder must not hide a failure in error/ or a reply in inbox/. Only when no
   * folder can be read (the spool is gone) does poll reject.
   */
  async poll(): Promise<SmsPoll> {
    const faults: SmsError[] = [];
    const delivered: string[] = [];
    const failed: SmsFailure[] = [];
    const folders = this.pending.size > 0 ? 3 : 1;
    if (this.pending.size > 0) {
      for (const name of await this.list('sent', faults)) {
        const id = parseOutboxName(name)?.id;
        if (id && this.pending.delete(id)) delivered.push(id);
      }
      for (const name of await this.list('error', faults)) {
        const id = parseOutboxName(name)?.id;
        if (id && this.pending.delete(id)) {
          failed.push({ id, reason: 'gammu-smsd could not send it (moved to error/)' });
        }
      }
    }
    const received = await this.readInbox(faults);
    this.counters.delivered += delivered.length;
    this.counters.failed += failed.length;
    this.counters.received += received.length;
    this.fault = faults.map((f) => f.message).join('; ') || undefined;
    if (faults.length > 0) {
      this.counters.spoolErrors++;
      this.opts.log?.warn({ err: faults[0], faults: faults.length }, 'gammu-smsd spool not fully readable');
      if (faults.length >= folders) throw faults[0];
    }
    return { delivered, failed, received };
  }

  private async names(folder: (typeof SPOOL_FOLDERS)[number], faults: SmsError[]): Promise<string[]> {
    try {
      return (await readdir(this.dir(folder))).sort();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'spool_missing' : 'spool_unwritable';
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
      faults.push(
        new SmsError(reason, `gammu-smsd's ${folder}/ folder ${this.dir(folder)} ${why}`, { cause: err }),
      );
      return [];
    }
  }

  private async list(folder: 'sent' | 'error', faults: SmsError[]): Promise<string[]> {
    return (await this.names(folder, faults)).filter(isOurs);
  }

  private async readInbox(faults: SmsError[]): Promise<SmsIncoming[]> {
    const inbox = this.dir('inbox');
    const names = await this.names('inbox', faults);
    const settle = this.opts.inboxSettleMs ?? 500;
    const out: SmsIncoming[] = [];
    for (const name of names) {
      if (this.handled.has(name)) continue;
      const parsed = parseInboxName(name);
      if (!parsed) continue;
      const path = join(inbox, name);
      try {
        // File times are the file system's, so they are compared with the wall clock, not ours.
        if (Date.now() - (await stat(path)).mtimeMs < settle) continue;
        const body = await readFile(path);
        out.push(this.incoming(name, parsed, body));
      } catch (err) {
        this.opts.log?.warn({ err, file: path }, 'SMS inbox file could not be read; trying again next poll');
        continue;
      }
      await this.settleInbox(name);
    }
    return out;
  }

  private incoming(name: string, parsed: InboxName, body: Buffer): SmsIncoming {
    // An 8-bit message (.bin) is data, not a reply a person typed.
    const text = parsed.ext === 'txt' ? body.toString('utf8').replace(/\r?\n$/, '') : '';
    return { id: name, from: parsed.sender, text, at: parsed.at };
  }

  /**
   * A read message moves to processed/ (kept for the technician); where that fails it is deleted,
   * and where even that fails it is remembered, so each message is reported once.
   */
  private async settleInbox(name: string): Promise<void> {
    const from = join(this.dir('inbox'), name);
    const processed = join(this.opts.spool, 'processed');
    try {
      await mkdir(processed, { recursive: true });
      await rename(from, join(processed, name));
      return;
    } catch {
      // fall through to deleting it
    }
    try {
      await unlink(from);
    } catch (err) {
      this.handled.add(name);
      this.opts.log?.warn(
        { err, file: from },
        'SMS inbox file read but not removable; it will not be read again',
      );
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
