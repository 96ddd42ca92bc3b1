import type { SmsGateway, SmsIncoming, SmsOutgoing, SmsPoll } from '../../src/ports/sms.js';

export interface PrintSmsOptions {
  /** Where the lines go; default process.stdout. */
  out?: NodeJS.WritableStream;
}

/**
 * The demo's SMS: prints each message it would send, readable in a plain terminal, e.g.
 * `>>> SMS +6281234567890 (AWAS first): AWAS GAJAH Dsn Braja (z-braja) 19:42. … <<<`. Printing is
 * delivery, so every message is reported delivered at the next poll; `reply()` lets the demo play
 * a person texting back.
 */
export class PrintSms implements SmsGateway {
  private readonly out: NodeJS.WritableStream;
  private next = 1;
  private delivered: string[] = [];
  private inbox: SmsIncoming[] = [];

  constructor(opts: PrintSmsOptions = {}) {
    this.out = opts.out ?? process.stdout;
  }

  send(message: SmsOutgoing): Promise<string> {
    const id = `print-${this.next++}`;
    const first = message.priority === 'urgent' ? ' (first)' : '';
    this.out.write(`>>> SMS ${message.to}${first}: ${message.text} <<<\n`);
    this.delivered.push(id);
    return Promise.resolve(id);
  }

  /** A reply as if `from` had texted it; the next poll reports it. */
  reply(from: string, text: string, at = Date.now()): void {
    this.inbox.push({ id: `print-in-${this.next++}`, from, text, at });
    this.out.write(`<<< SMS from ${from}: ${text}\n`);
  }

  poll(): Promise<SmsPoll> {
    const result: SmsPoll = { delivered: this.delivered, failed: [], received: this.inbox };
    this.delivered = [];
    this.inbox = [];
    return Promise.resolve(result);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
