import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installFatalHandlers } from '../../src/cli/fatal.js';
import { capturingLogger } from '../helpers/log.js';
import { until } from '../helpers/wait.js';

function harness(sirensOff: () => Promise<unknown> | undefined) {
  const { log, lines } = capturingLogger('info');
  const proc = new EventEmitter();
  const exits: number[] = [];
  const order: string[] = [];
  installFatalHandlers({
    proc: proc as unknown as NodeJS.Process,
    log,
    sirensOff: () => {
      order.push('sirens off');
      return sirensOff();
    },
    exit: (code) => {
      order.push('exit');
      exits.push(code);
    },
    offTimeoutMs: 200,
  });
  return { proc, lines, exits, order };
}

describe('process-level fatal handlers of siaga run', () => {
  it('an uncaught exception is logged with its error, sirens go OFF, then the process exits non-zero', async () => {
    const h = harness(() => Promise.resolve());
    h.proc.emit('uncaughtException', new Error('boom in a timer'));
    await until('exit', () => h.exits.length > 0);
    expect(h.exits).toEqual([1]);
    expect(h.order).toEqual(['sirens off', 'exit']);
    const fatal = h.lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/uncaught exception: sirens off/);
    expect((fatal?.err as { message?: string } | undefined)?.message).toBe('boom in a timer');
  });

  it('an unhandled rejection does the same, and a second failure while dying does not exit twice', async () => {
    const h = harness(() => new Promise((r) => setTimeout(r, 20)));
    h.proc.emit('unhandledRejection', new Error('lost promise'));
    h.proc.emit('uncaughtException', new Error('while dying'));
    await until('exit', () => h.exits.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.exits).toEqual([1]);
    expect(h.lines.some((l) => l.level === 60 && /unhandled promise rejection/.test(String(l.msg)))).toBe(
      true,
    );
  });

  it('exits even when the sirens never answer, or fail, or do not exist yet', async () => {
    const stuck = harness(() => new Promise(() => undefined));
    stuck.proc.emit('uncaughtException', new Error('x'));
    await until('exit', () => stuck.exits.length > 0);
    expect(stuck.exits).toEqual([1]);

    const failing = harness(() => Promise.reject(new Error('relay board gone')));
    failing.proc.emit('uncaughtException', new Error('y'));
    await until('exit', () => failing.exits.length > 0);
    expect(failing.exits).toEqual([1]);
    expect(failing.lines.some((l) => l.msg === 'sirens could not all be switched off')).toBe(true);

    const early = harness(() => undefined);
    early.proc.emit('unhandledRejection', new Error('z'));
    await until('exit', () => early.exits.length > 0);
    expect(early.exits).toEqual([1]);
  });
});
