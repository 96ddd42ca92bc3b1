#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAlerts } from './commands/alerts.js';
import { registerCompletion } from './commands/completion.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';
import { registerInit } from './commands/init.js';
import { registerLora } from './commands/lora.js';
import { registerNodes } from './commands/nodes.js';
import { registerPasswd } from './commands/passwd.js';
import { registerReadings } from './commands/readings.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSiren } from './commands/siren.js';
import { registerStatus } from './commands/status.js';
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

registerInit(program);
registerRun(program);
registerConfig(program);
registerStatus(program);
registerNodes(program);
registerLora(program);
registerReadings(program);
registerDemo(program);
registerSiren(program);
registerAlerts(program);
registerSimulate(program);
registerExport(program);
registerReplay(program);
registerDoctor(program);
registerPasswd(program);
registerCompletion(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Usage errors exit 64 (EX_USAGE); --help and --version exit 0.
    process.exitCode = e.exitCode === 0 ? 0 : 64;
  } else throw e;
}
