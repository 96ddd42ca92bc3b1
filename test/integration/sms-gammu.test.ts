import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GammuSmsd } from '../../drivers/sms/gammu-smsd.js';
import { outboxBacklog, spoolProblems } from '../../drivers/sms/gammu-spool-check.js';
import { normalizePhone } from '../../src/alerts/sms-phone.js';
import { parseReply } from '../../src/alerts/sms-reply.js';
import { formatSms } from '../../src/alerts/sms-text.js';
import { SmsError } from '../../src/domain/errors.js';
import type { SmsPoll } from '../../src/ports/sms.js';
import { type GammuRig, gammuRig, gammuSmsdAvailable, tempSpool } from '../fixtures/sms/gammu-rig.js';
import { BRAJA_AWAS } from '../fixtures/sms/texts.js';
import { capturingLogger } from '../helpers/log.js';
import { until } from '../helpers/wait.js';

const RANGER = '+6281234567890';

/** Polls the driver until `want` holds for everything it reported so far. Never asserts timing. */
async function pollUntil(sms: GammuSmsd, what: string, want: (all: SmsPoll) => boolean): Promise<SmsPoll> {
  const all: SmsPoll = { delivered: [], failed: [], received: [] };
  const end = Date.now() + 30_000;
  for (;;) {
    const p = await sms.poll();
    all.delivered.push(...p.delivered);
    all.failed.push(...p.failed);
    all.received.push(...p.received);
    if (want(all)) return all;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(all)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!gammuSmsdAvailable())('SMS through the real gammu-smsd (FILES backend, dummy phone)', () => {
  let rig: GammuRig | undefined;
  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  it('sends what siaga puts in the outbox: the daemon transmits it and moves it to sent/, and poll says delivered', async () => {
    rig = gammuRig();
    const sms = new GammuSmsd({ spool: rig.spool });
    const text = formatSms(BRAJA_AWAS);
    const id = await sms.send({ to: RANGER, text, priority: 'urgent' });
    const [file] = readdirSync(join(rig.spool, 'outbox'));
    expect(file).toMatch(/^OUTA\d{8}_\d{6}_\d{2}_\+6281234567890_[0-9A-Z]{26}\.txt$/);
    rig.start();
    const seen = await pollUntil(sms, 'the daemon to send the SMS', (p) => p.delivered.includes(id));
    expect(seen.failed).toEqual([]);
    expect(readdirSync(join(rig.spool, 'sent'))).toEqual([file]);
    expect(readdirSync(join(rig.spool, 'outbox'))).toEqual([]);
    expect(rig.log()).toContain(`Found 1 sms to "${RANGER}" with text "${text}"`);
    expect(rig.log()).toContain(`Transmitted ${file}`);
    // reported once, not at every poll
    expect((await sms.poll()).delivered).toEqual([]);
    expect(sms.counters).toMatchObject({ handedOver: 1, delivered: 1, failed: 0 });
  });

  it('lets an AWAS message overtake queued ordinary ones', async () => {
    rig = gammuRig();
    const sms = new GammuSmsd({ spool: rig.spool });
    const first = await sms.send({ to: '+6281200000001', text: 'WASPADA lebih dulu', priority: 'normal' });
    const second = await sms.send({ to: '+6281200000002', text: 'WASPADA kedua', priority: 'normal' });
    const awas = await sms.send({ to: RANGER, text: 'AWAS GAJAH', priority: 'urgent' });
    rig.start();
    await pollUntil(sms, 'all three sent', (p) => p.delivered.length === 3);
    const order = [...rig.log().matchAll(/Transmitted \S+_([0-9A-Z]{26})\.txt/g)].map((m) => m[1]);
    expect(order).toEqual([awas, first, second]);
  });

  it('receives a reply the phone got: the daemon puts it in inbox/, poll parses sender and text, once', async () => {
    rig = gammuRig();
    const sms = new GammuSmsd({ spool: rig.spool });
    rig.start();
    rig.phoneReceives(RANGER, 'ok  4821.');
    const seen = await pollUntil(sms, 'the reply', (p) => p.received.length === 1);
    const [reply] = seen.received;
    expect(reply?.from).toBe(RANGER);
    expect(reply?.text).toBe('ok  4821.');
    expect(normalizePhone(reply?.from ?? '')).toBe(RANGER);
    expect(parseReply(reply?.text ?? '')).toEqual({ ok: true, code: '4821' });
    expect(reply?.id).toMatch(/^IN\d{8}_\d{6}_\d{2}_\+6281234567890_00\.txt$/);
    // moved out of inbox/ (kept under processed/), so the next poll does not report it again
    expect(readdirSync(join(rig.spool, 'inbox'))).toEqual([]);
    expect(readdirSync(join(rig.spool, 'processed'))).toEqual([reply?.id]);
    expect((await sms.poll()).received).toEqual([]);
  });

  it('reports failed a message the daemon gave up on (it lands in error/), after a restart too', async () => {
    rig = gammuRig();
    rig.start();
    await until('the daemon to start', () => rig?.log().includes('Starting phone communication'));
    // A technician's clean-up took sent/ away: gammu-smsd cannot file the message as sent and
    // puts it in error/, its own way of saying it does not stand behind the message.
    rmSync(join(rig.spool, 'sent'), { recursive: true });
    const before = new GammuSmsd({ spool: rig.spool });
    const id = await before.send({ to: RANGER, text: 'AWAS GAJAH', priority: 'urgent' });
    // the gateway restarts with this message still awaiting its fate
    const sms = new GammuSmsd({ spool: rig.spool, pending: before.awaiting });
    expect(sms.awaiting).toEqual([id]);
    const seen = await pollUntil(sms, 'the failure', (p) => p.failed.length === 1);
    expect(seen.failed).toEqual([{ id, reason: expect.stringContaining('error/') }]);
    expect(seen.delivered).toEqual([]);
    expect(readdirSync(join(rig.spool, 'error'))).toEqual([expect.stringContaining(id)]);
    expect(rig.log()).toContain('Error moving message');
    expect(sms.awaiting).toEqual([]);
    expect(sms.counters.failed).toBe(1);
    // the missing folder is named, not silently skipped
    expect(sms.fault).toMatch(/sent\/ folder .* does not exist/);
    expect(sms.counters.spoolErrors).toBeGreaterThan(0);
  });
});

describe('the gammu-smsd spool when it is wrong', () => {
  it('refuses with a clear typed error when the spool is missing, and the message stays with the caller', async () => {
    const { log, lines } = capturingLogger();
    const sms = new GammuSmsd({ spool: '/nonexistent/siaga-sms', log });
    const err = await sms.send({ to: RANGER, text: 'AWAS', priority: 'urgent' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmsError);
    expect((err as SmsError).reason).toBe('spool_missing');
    expect((err as SmsError).message).toMatch(
      /stays queued: the folder \/nonexistent\/siaga-sms\/outbox does not exist/,
    );
    expect(sms.counters.spoolErrors).toBe(1);
    expect(sms.awaiting).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, reason: 'spool_missing', msg: 'SMS not handed to gammu-smsd' }),
    );
    await expect(sms.poll()).rejects.toMatchObject({ reason: 'spool_missing' });
    expect(sms.fault).toMatch(/inbox\/ folder \/nonexistent\/siaga-sms\/inbox does not exist/);
  });

  it('refuses when the outbox cannot be written, leaving no half file behind', async () => {
    const s = tempSpool();
    rmSync(join(s, 'outbox'), { recursive: true });
    writeFileSync(join(s, 'outbox'), 'not a folder');
    const sms = new GammuSmsd({ spool: s });
    await expect(sms.send({ to: RANGER, text: 'AWAS', priority: 'urgent' })).rejects.toMatchObject({
      reason: 'spool_unwritable',
    });
    expect(readFileSync(join(s, 'outbox'), 'utf8')).toBe('not a folder');
    expect(sms.counters.spoolErrors).toBe(1);
  });

  it('refuses a recipient that is not E.164 and an empty text before touching the spool', async () => {
    const s = tempSpool();
    const sms = new GammuSmsd({ spool: s });
    await expect(sms.send({ to: '0812345', text: 'AWAS', priority: 'urgent' })).rejects.toMatchObject({
      reason: 'bad_recipient',
    });
    await expect(sms.send({ to: RANGER, text: '  ', priority: 'urgent' })).rejects.toMatchObject({
      reason: 'bad_text',
    });
    expect(readdirSync(join(s, 'outbox'))).toEqual([]);
    expect(sms.counters.refused).toBe(2);
  });

  it('writes the outbox file whole, as UTF-16 with a byte-order mark so accents survive any locale', async () => {
    const s = tempSpool();
    const sms = new GammuSmsd({ spool: s });
    await sms.send({ to: RANGER, text: 'Café £5', priority: 'normal' });
    const [file] = readdirSync(join(s, 'outbox'));
    expect(file).toMatch(/^OUTB/);
    const bytes = readFileSync(join(s, 'outbox', file ?? ''));
    expect([...bytes.subarray(0, 2)]).toEqual([0xfe, 0xff]);
    expect(Buffer.from(bytes.subarray(2)).swap16().toString('utf16le')).toBe('Café £5');
  });
});

describe('checking the gammu-smsd spool (doctor, status)', () => {
  it('finds nothing wrong with a complete spool, and names each missing or wrong folder', async () => {
    const s = tempSpool();
    expect(await spoolProblems(s)).toEqual([]);
    rmSync(join(s, 'sent'), { recursive: true });
    rmSync(join(s, 'inbox'), { recursive: true });
    writeFileSync(join(s, 'inbox'), '');
    expect(await spoolProblems(s)).toEqual([
      `${join(s, 'inbox')} is not a folder`,
      `${join(s, 'sent')} does not exist: create it, or point alerts.sms.spool at gammu-smsd's FILES spool`,
    ]);
  });

  it('shows messages waiting in the outbox while gammu-smsd is not running, and none once it took them', async () => {
    const rig = gammuRig();
    try {
      const sms = new GammuSmsd({ spool: rig.spool });
      expect(await outboxBacklog(rig.spool)).toEqual({ waiting: 0 });
      await sms.send({ to: RANGER, text: 'AWAS GAJAH', priority: 'urgent' });
      await sms.send({ to: RANGER, text: 'ULANG AWAS', priority: 'urgent' });
      const backlog = await outboxBacklog(rig.spool);
      expect(backlog.waiting).toBe(2);
      expect(backlog.oldestAt).toEqual(expect.any(Number));
      rig.start();
      await pollUntil(sms, 'the daemon to take both', (p) => p.delivered.length === 2);
      expect(await outboxBacklog(rig.spool)).toEqual({ waiting: 0 });
    } finally {
      await rig.stop();
    }
  });
});
