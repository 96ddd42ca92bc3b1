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

describe('the config file named before the command (siaga run starts its config check with it)', () => {
  it('reads -c, --config and --config= among the global options', () => {
    expect(configArg(['-c', '/etc/a.yaml', 'run'])).toBe('/etc/a.yaml');
    expect(configArg(['--socket', '/run/s', '--config', 'b.yaml', 'run'])).toBe('b.yaml');
    expect(configArg(['--config=c.yaml', 'run'])).toBe('c.yaml');
  });

  it('is undefined when none is given before the command word (the default or $SIAGA_CONFIG then)', () => {
    expect(configArg(['run'])).toBeUndefined();
    expect(configArg(['run', '-c', 'late.yaml'])).toBeUndefined();
    expect(configArg(['--socket', '/run/s', 'run'])).toBeUndefined();
  });
});
