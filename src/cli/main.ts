import { Command, CommanderError } from 'commander';
import { tuneHeapForGateway } from '../gateway/heap.js';
import { VERSION } from '../version.js';
import { commandWord } from './command-word.js';
import { t } from './io.js';

/** commander's own headings, in the user's language; set before any command so all inherit it. */
const TITLES: Record<string, Parameters<typeof t>[0]> = {
  'Usage:': 'help.title.usage',
  'Options:': 'help.title.options',
  'Commands:': 'help.title.commands',
  'Arguments:': 'help.title.arguments',
  'Global Options:': 'help.title.global',
};

const program = new Command('siaga')
  .description(t('cli.description'))
  .configureHelp({ styleTitle: (title) => (TITLES[title] ? t(TITLES[title]) : title) })
  .helpOption('-h, --help', t('cli.opt.help'))
  .helpCommand('help [command]', t('cli.cmd.help'))
  .version(VERSION, '-V, --version', t('cli.opt.version'))
  .option('-c, --config <file>', t('cli.opt.config'))
  .option('--socket <path>', t('cli.opt.socket'))
  // Usage mistakes read like every other error: one line, "siaga: …", and where to look.
  .configureOutput({
    outputError: (text, write) =>
      write(
        `siaga: ${text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')
          .replace(/\.$/, '')}; ${t('cli.see_help')}\n`,
      ),
  })
  .addHelpText('after', `\n${t('help.examples')}\n\n${t('help.exit_codes')}\n\n${t('help.language')}`)
  .exitOverride();

type Register = (program: Command) => void;

/**
 * Each command's module, in the order help lists them. Only the command asked for is loaded:
 * `siaga run` would otherwise load the demo's simulator, LoRa crypto, the CAP XML builder and
 * every other command's dependencies (memory for as long as the gateway runs, and start time).
 */
const COMMANDS: [name: string, load: () => Promise<Register>][] = [
  ['init', async () => (await import('./commands/init.js')).registerInit],
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['config', async () => (await import('./commands/config.js')).registerConfig],
  ['status', async () => (await import('./commands/status.js')).registerStatus],
  ['nodes', async () => (await import('./commands/nodes.js')).registerNodes],
  ['lora', async () => (await import('./commands/lora.js')).registerLora],
  ['readings', async () => (await import('./commands/readings.js')).registerReadings],
  ['demo', async () => (await import('./commands/demo.js')).registerDemo],
  ['siren', async () => (await import('./commands/siren.js')).registerSiren],
  ['alerts', async () => (await import('./commands/alerts.js')).registerAlerts],
  ['simulate', async () => (await import('./commands/simulate.js')).registerSimulate],
  ['export', async () => (await import('./commands/export.js')).registerExport],
  ['replay', async () => (await import('./commands/replay.js')).registerReplay],
  ['doctor', async () => (await import('./commands/doctor.js')).registerDoctor],
  ['passwd', async () => (await import('./commands/passwd.js')).registerPasswd],
  ['completion', async () => (await import('./commands/completion.js')).registerCompletion],
];

// Help, completion (it lists every command), a typo (commander suggests the nearest) and no
// command at all need the whole tree; anything else needs only its own command.
const word = commandWord(process.argv.slice(2));
// Before the gateway's modules load: loading them is what would grow the young generation (the
// config check's own process was started by the entry, src/cli/entry.ts).
if (word === 'run') tuneHeapForGateway();
// `tail` is registered by the status module (both read the running gateway).
const wanted = word === 'tail' ? 'status' : word;
const only = COMMANDS.find(([name]) => name === wanted && name !== 'completion');
const registers = await Promise.all((only ? [only] : COMMANDS).map(([, load]) => load()));
for (const register of registers) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Usage errors exit 64 (EX_USAGE); --help and --version exit 0.
    process.exitCode = e.exitCode === 0 ? 0 : 64;
  } else throw e;
}
