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

/**
 * The config file a command line names, as commander reads it (src/cli/main.ts): `-c FILE`,
 * `-cFILE`, `--config FILE` or `--config=FILE`, before or after the command word (the systemd unit
 * runs `siaga run -c /etc/siaga/siaga.yaml`), the last one winning, none after `--`. Undefined when
 * none is given: the default or $SIAGA_CONFIG then (src/config/path.ts).
 */
export function configArg(args: readonly string[]): string | undefined {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') break;
    if (a === '-c' || a === '--config') file = args[++i];
    else if (a.startsWith('--config=')) file = a.slice('--config='.length);
    else if (a.startsWith('-c')) file = a.slice(2);
    else if (VALUE_OPTS.has(a)) i++; // --socket's value is not a config
  }
  return file;
}
