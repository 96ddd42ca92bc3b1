import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commandWord, configArg } from '../../src/cli/command-word.js';

// The CLI loads only the command this names (src/cli/main.ts); a wrong answer would run the wrong
// command's code or none, so every shape of a real command line is covered.
describe('commandWord: which command a command line names', () => {
  it('finds the command after global options and their values', () => {
    expect(commandWord(['run'])).toBe('run');
    expect(commandWord(['-c', '/etc/siaga/siaga.yaml', 'run', '-v'])).toBe('run');
    expect(commandWord(['--config', 'run', 'status'])).toBe('status');
    expect(commandWord(['--socket', '/run/x.sock', 'siren', 'off', 's-1'])).toBe('siren');
  });

  it('names none when there is none, or when another option comes first (the whole help is wanted)', () => {
    expect(commandWord([])).toBeUndefined();
    expect(commandWord(['-c'])).toBeUndefined();
    expect(commandWord(['--help'])).toBeUndefined();
    expect(commandWord(['-h', 'run'])).toBeUndefined();
    expect(commandWord(['-V'])).toBeUndefined();
    expect(commandWord(['--config=/x.yaml', 'run'])).toBeUndefined();
  });

  it('any run of -c/--config/--socket with values, then a word: that word', () => {
    const value = fc.string({ minLength: 1, maxLength: 12 });
    const opt = fc.tuple(fc.constantFrom('-c', '--config', '--socket'), value);
    const word = fc.stringMatching(/^[a-z][a-z-]{0,10}$/);
    fc.assert(
      fc.property(
        fc.array(opt, { maxLength: 4 }),
        word,
        fc.array(fc.string(), { maxLength: 3 }),
        (opts, w, rest) => {
          expect(commandWord([...opts.flat(), w, ...rest])).toBe(w);
        },
      ),
    );
  });
});

// `siaga run` starts checking this file before commander has parsed anything (src/cli/entry.ts); a
// wrong answer checks a file the gateway does not use and then the right one, a second Node start
// on the way to online. So it reads the line as commander does.
describe('the config file a command line names (siaga run starts its config check with it)', () => {
  it('reads -c, -cFILE, --config and --config= before the command word', () => {
    expect(configArg(['-c', '/etc/a.yaml', 'run'])).toBe('/etc/a.yaml');
    expect(configArg(['--socket', '/run/s', '--config', 'b.yaml', 'run'])).toBe('b.yaml');
    expect(configArg(['--config=c.yaml', 'run'])).toBe('c.yaml');
    expect(configArg(['-cd.yaml', 'run'])).toBe('d.yaml');
  });

  it('reads them after the command word too, as the systemd unit writes it', () => {
    expect(configArg(['run', '-c', '/etc/siaga/siaga.yaml'])).toBe('/etc/siaga/siaga.yaml');
    expect(configArg(['run', '-v', '--config', 'late.yaml'])).toBe('late.yaml');
  });

  it('the last one wins; none counts after --; a --socket value is not a config', () => {
    expect(configArg(['-c', 'a.yaml', 'run', '-c', 'b.yaml'])).toBe('b.yaml');
    expect(configArg(['run', '--', '-c', 'n.yaml'])).toBeUndefined();
    expect(configArg(['--socket', '-c', 'run'])).toBeUndefined();
  });

  it('is undefined when none is given (the default or $SIAGA_CONFIG then)', () => {
    expect(configArg(['run'])).toBeUndefined();
    expect(configArg(['--socket', '/run/s', 'run', '-v'])).toBeUndefined();
  });

  it('agrees with commander on any line of global options around the command', async () => {
    const { Command } = await import('commander');
    const opt = fc.oneof(
      fc.tuple(fc.constantFrom('-c', '--config', '--socket'), fc.stringMatching(/^[a-z./]{1,8}$/)),
      fc.stringMatching(/^[a-z./]{1,8}$/).map((v) => [`--config=${v}`]),
      fc.stringMatching(/^[a-z./]{1,8}$/).map((v) => [`-c${v}`]),
    );
    fc.assert(
      fc.property(fc.array(opt, { maxLength: 3 }), fc.array(opt, { maxLength: 3 }), (before, after) => {
        const line = [...before.flat(), 'run', ...after.flat()];
        const program = new Command().option('-c, --config <file>').option('--socket <path>').exitOverride();
        program
          .command('run')
          .option('-v, --verbose')
          .action(() => {});
        program.parse(line, { from: 'user' });
        expect(configArg(line)).toBe(program.opts<{ config?: string }>().config);
      }),
    );
  });
});
