import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { configPath } from '../../config/path.js';
import { realProbes } from '../../doctor/probes.js';
import { configFailureReport, type DoctorReport, formatReport, runDoctor } from '../../doctor/run.js';
import { ConfigError } from '../../domain/index.js';
import { EN } from '../../i18n/index.js';
import type { GlobalOpts } from '../context.js';
import { action, json, out, t } from '../io.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(t('doctor.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        // Scripts read --json: it stays English whatever the locale.
        const tr = o.json ? EN : t;
        const probes = realProbes(tr);
        const file = configPath(program.opts<GlobalOpts>().config);
        let report: DoctorReport;
        let exitCode: number;
        try {
          report = await runDoctor(loadConfig(file), probes, tr);
          exitCode = report.ok ? 0 : 1;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          report = configFailureReport(e, file, probes.user().name, tr);
          exitCode = e.exitCode;
        }
        if (o.json) json(report);
        else out(formatReport(report, tr));
        process.exitCode = exitCode;
      }),
    );
}
