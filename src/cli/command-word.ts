/** Global options that take a value: the word after them is that value, not a command. */
const VALUE_OPTS = new Set(['-c', '--config', '--socket']);

/**
 * The command named on a command line (argv without node and the script): the first word, after
 * nothing but global options with their values. Undefined when there is none, or when another
 * option comes first (`-h run` asks for the program's help, which lists every command).
 */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (VALUE_OPTS.has(a)) i++;
    else if (a.startsWith('-')) return undefined;
    else return a;
  }
  return undefined;
}

/** The value of `-c`/`--config` among the global options before the command word, if given there. */
export function configArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '-c' || a === '--config') return args[i + 1];
    if (a.startsWith('--config=')) return a.slice('--config='.length);
    if (VALUE_OPTS.has(a)) i++;
    else if (!a.startsWith('-')) return undefined;
  }
  return undefined;
}
