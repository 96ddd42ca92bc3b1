#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerExport } from './commands/export.js';
import { registerNodes } from './commands/nodes.js';
import { registerPasswd } from './commands/passwd.js';
import { registerReadings } from './commands/readings.js';
import { registerRun } from './commands/run.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSiren } from './commands/siren.js';
import { registerStatus } from './commands/status.js';

const program = new Command('siaga')
  .description('siaga: elephant early-warning gateway for the villages at the edge of Way Kambas')
  .version(VERSION)
  .option('-c, --config <file>', 'config file (default: $SIAGA_CONFIG or /etc/siaga/siaga.yaml)')
  .option('--socket <path>', 'control socket of the running gateway (default: beside its database)')
  // Usage mistakes read like every other error: one line, "siaga: …", and where to look.
  .configureOutput({
    outputError: (text, write) =>
      write(
        `siaga: ${text
          .replace(/^error: /, '')
          .trim()
          .replace(/\.$/, '')}; see siaga --help\n`,
      ),
  })
  .exitOverride();

registerRun(program);
registerConfig(program);
registerStatus(program);
registerNodes(program);
registerReadings(program);
registerDemo(program);
registerSiren(program);
registerSimulate(program);
registerExport(program);
registerDoctor(program);
registerPasswd(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Usage errors exit 64 (EX_USAGE); --help and --version exit 0.
    process.exitCode = e.exitCode === 0 ? 0 : 64;
  } else throw e;
}
