#!/usr/bin/env node
import { prefetchConfig } from '../config/load-isolated.js';
import { configPath } from '../config/path.js';
import { commandWord, configArg } from './command-word.js';

/**
 * The CLI's entry (the run bundle's dist/bin/siaga.js). `siaga run` checks its config file in a
 * process of its own (src/config/load-isolated.ts), and that process is the longest step to
 * online: it is started here, before commander, the texts and the command's modules load.
 */
const args = process.argv.slice(2);
if (commandWord(args) === 'run') prefetchConfig(configPath(configArg(args)));
await import('./main.js');
