import { SmsError } from '../../src/domain/errors.js';
import type { SmsGateway, SmsOutgoing, SmsPoll } from '../../src/ports/sms.js';

/**
 * The modem side of the SMS port for runtime tests (the real daemon has its own suites): records
 * what was handed over, and lets a test decide each message's fate, refuse hand-overs (a missing
 * spool), and play replies.
 */
export class ScriptedSms implements SmsGateway {
  readonly sent: (SmsOutgoing & { id: string })[] = [];
  /** While set, send() refuses as a missing spool would. */
  refuse: string | undefined;
  private next = 1;
  private result: SmsPoll = { delivered: [], failed: [], received: [] };

  send(m: SmsOutgoing): Promise<string> {
    if (this.refuse) return Promise.reject(new SmsError('spool_missing', this.refuse));
    const id = `m${this.next++}`;
    this.sent.push({ ...m, id });
    return Promise.resolve(id);
  }

  deliver(id: string): void {
    this.result.delivered.push(id);
  }

  fail(id: string, reason = 'the network refused it'): void {
    this.result.failed.push({ id, reason });
  }

  reply(from: string, text: string): void {
    this.result.received.push({ id: `in-${this.next++}`, from, text, at: 0 });
  }

  poll(): Promise<SmsPoll> {
    const r = this.result;
    this.result = { delivered: [], failed: [], received: [] };
    return Promise.resolve(r);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** What each recipient was sent, in order. */
  to(phone: string): string[] {
    return this.sent.filter((m) => m.to === phone).map((m) => m.text);
  }
}
