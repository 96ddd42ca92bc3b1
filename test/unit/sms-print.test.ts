import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createSmsGateway } from '../../drivers/sms/factory.js';
import { GammuSmsd } from '../../drivers/sms/gammu-smsd.js';
import { PrintSms } from '../../drivers/sms/print.js';
import { parseReply } from '../../src/alerts/sms-reply.js';
import { silentLog } from '../helpers/log.js';

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  let buf = '';
  out.on('data', (c: Buffer) => {
    buf += c.toString();
  });
  return { out, text: () => buf };
}

describe('the demo SMS driver (print)', () => {
  it('prints the SMS it would send, AWAS marked as going first, and reports each delivered once', async () => {
    const { out, text } = capture();
    const sms = new PrintSms({ out });
    const a = await sms.send({
      to: '+6281234567890',
      text: 'AWAS GAJAH Dsn Braja (z-braja) 19:42. Jauhi ladang. Balas OK 4821',
      priority: 'urgent',
    });
    const b = await sms.send({ to: '+6281298765432', text: 'WASPADA GAJAH', priority: 'normal' });
    expect(text()).toBe(
      '>>> SMS +6281234567890 (first): AWAS GAJAH Dsn Braja (z-braja) 19:42. Jauhi ladang. Balas OK 4821 <<<\n' +
        '>>> SMS +6281298765432: WASPADA GAJAH <<<\n',
    );
    expect(a).not.toBe(b);
    expect(await sms.poll()).toEqual({ delivered: [a, b], failed: [], received: [] });
    expect((await sms.poll()).delivered).toEqual([]);
  });

  it('plays a person replying, for the demo acknowledgement', async () => {
    const { out, text } = capture();
    const sms = new PrintSms({ out });
    sms.reply('+6281234567890', 'ok 4821', 1000);
    const { received } = await sms.poll();
    expect(received).toEqual([{ id: expect.any(String), from: '+6281234567890', text: 'ok 4821', at: 1000 }]);
    expect(parseReply(received[0]?.text ?? '')).toEqual({ ok: true, code: '4821' });
    expect(text()).toContain('<<< SMS from +6281234567890: ok 4821');
    expect((await sms.poll()).received).toEqual([]);
  });
});

describe('the SMS driver factory', () => {
  it('builds the print driver for the demo and the gammu-smsd driver on its spool', async () => {
    const { out, text } = capture();
    const log = silentLog;
    const print = createSmsGateway({ driver: 'print' }, { log, out });
    expect(print).toBeInstanceOf(PrintSms);
    await print.send({ to: '+6281234567890', text: 'TES', priority: 'normal' });
    expect(text()).toContain('TES');
    const gammu = createSmsGateway({ driver: 'gammu-smsd', spool: '/nonexistent' }, { log, pending: ['X'] });
    expect(gammu).toBeInstanceOf(GammuSmsd);
    expect((gammu as GammuSmsd).awaiting).toEqual(['X']);
  });
});
