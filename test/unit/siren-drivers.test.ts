import { PassThrough } from 'node:stream';
import { SerialPortMock } from 'serialport';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../drivers/sirens/command.js';
import { createSirenDriver } from '../../drivers/sirens/factory.js';
import { GpioSiren, gpiosetArgs, parseGpiodVersion } from '../../drivers/sirens/gpio.js';
import { PrintSiren } from '../../drivers/sirens/print.js';
import type { RelayBinding, RelayBoard } from '../../drivers/sirens/relay.js';
import { SirenError } from '../../src/domain/index.js';
import { silentLog as log } from '../helpers/log.js';

const MockBinding = SerialPortMock.binding;

/** A runner that records argv and answers like a given gpioset version. */
function fakeGpioset(version: string, fail = false): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = (file, args) => {
    calls.push([file, ...args]);
    if (args[0] === '--version')
      return Promise.resolve({ stdout: `gpioset (libgpiod) ${version}\n`, stderr: '' });
    if (fail)
      return Promise.reject(Object.assign(new Error('x'), { code: 1, stderr: 'gpioset: Permission denied' }));
    return Promise.resolve({ stdout: '', stderr: '' });
  };
  return { run, calls };
}

describe('gpio siren (gpioset behind the runner)', () => {
  it('detects libgpiod v1 and sets the line with `gpioset <chip> <line>=<v>`', async () => {
    const f = fakeGpioset('v1.6.3');
    const s = new GpioSiren({ id: 's-g', chip: 'gpiochip0', line: 17, activeLow: false, run: f.run });
    await s.on();
    await s.off();
    expect(f.calls).toEqual([
      ['gpioset', '--version'],
      ['gpioset', 'gpiochip0', '17=1'],
      ['gpioset', 'gpiochip0', '17=0'],
    ]);
    expect(await s.check()).toEqual({ on: false, ok: true });
  });

  it('uses the v2 syntax and inverts for active_low', async () => {
    const f = fakeGpioset('v2.1');
    const s = new GpioSiren({ id: 's-g', chip: 'gpiochip4', line: 5, activeLow: true, run: f.run });
    await s.on();
    await s.off();
    expect(f.calls.slice(1)).toEqual([
      ['gpioset', '-c', 'gpiochip4', '-t', '0', '5=0'],
      ['gpioset', '-c', 'gpiochip4', '-t', '0', '5=1'],
    ]);
  });

  it('a failing gpioset is a SirenError with its stderr', async () => {
    const f = fakeGpioset('v2.1', true);
    const s = new GpioSiren({ id: 's-g', chip: 'gpiochip0', line: 1, activeLow: false, run: f.run });
    const err = await s.on().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SirenError);
    expect((err as Error).message).toMatch(/exited with code 1: gpioset: Permission denied/);
    expect((await s.check()).ok).toBe(false);
  });

  it('parses versions and builds argv', () => {
    expect(parseGpiodVersion('gpioset (libgpiod) v1.6.3')).toBe(1);
    expect(parseGpiodVersion('gpioset (libgpiod) v2.0.2\nCopyright')).toBe(2);
    expect(parseGpiodVersion('nonsense')).toBeUndefined();
    expect(gpiosetArgs(1, 'gpiochip0', 3, 1)).toEqual(['gpiochip0', '3=1']);
  });
});

describe('print siren', () => {
  it('writes one readable line per switch', async () => {
    const out = new PassThrough();
    const s = new PrintSiren({ id: 's-braja-1', out, zone: 'z-braja' });
    await s.on();
    await s.off();
    expect(out.read().toString()).toBe(
      '>>> SIREN s-braja-1 ON   (zone z-braja) <<<\n    siren s-braja-1 off  (zone z-braja)\n',
    );
  });
});

describe('createSirenDriver', () => {
  it('builds each driver, shares one relay board per port, and refuses lora clearly', async () => {
    MockBinding.createPort('/dev/ttyRELAY', { echo: false, record: true });
    const boards = new Map<string, RelayBoard>();
    const deps = { log, relayBinding: MockBinding as unknown as RelayBinding, relayBoards: boards };
    const r1 = createSirenDriver(
      { id: 'r1', driver: 'relay', port: '/dev/ttyRELAY', baud: 9600, channel: 1 },
      deps,
    );
    const r2 = createSirenDriver(
      { id: 'r2', driver: 'relay', port: '/dev/ttyRELAY', baud: 9600, channel: 2 },
      deps,
    );
    expect(boards.size).toBe(1);
    await r1.on();
    await r2.on();
    expect(await r2.check()).toEqual({ on: true, ok: true });
    await r1.close();
    await r2.close();
    MockBinding.reset();

    expect(createSirenDriver({ id: 'p', driver: 'print' }, { log, out: new PassThrough() })).toBeInstanceOf(
      PrintSiren,
    );
    expect(() => createSirenDriver({ id: 'm', driver: 'mqtt', state_timeout_ms: 100 }, { log })).toThrow(
      /local broker/,
    );
    const lora = {
      ...{ id: 'l', driver: 'lora' as const, node: 'n1', fport: 10, on_payload: '01', off_payload: '00' },
      ...{ confirmed: true, ack_timeout_s: 5, retries: 3 },
    };
    expect(() => createSirenDriver(lora, { log })).toThrow(/lora sirens need the lora section/);
    expect(
      createSirenDriver({ id: 'g', driver: 'gpio', chip: 'gpiochip0', line: 4, active_low: false }, { log })
        .id,
    ).toBe('g');
  });
});
