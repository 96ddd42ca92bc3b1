import type { Command } from 'commander';
import { configPath, loadConfig } from '../../config/load.js';
import { realProbes } from '../../doctor/probes.js';
import { configFailureReport, type DoctorReport, formatReport, runDoctor } from '../../doctor/run.js';
import { ConfigError } from '../../domain/index.js';
import type { GlobalOpts } from '../context.js';
import { action, json, out } from '../io.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check serial ports, UDP/TCP ports, disk, database, clock, uplink, permissions; print fixes')
    .option('--json', 'JSON for scripts')
    .action(
      action(async (o: { json?: boolean }) => {
        const probes = realProbes();
        const file = configPath(program.opts<GlobalOpts>().config);
        let report: DoctorReport;
        let exitCode: number;
        try {
          report = await runDoctor(loadConfig(file), probes);
          exitCode = report.ok ? 0 : 1;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
          report = configFailureReport(e, file, probes.user().name);
          exitCode = e.exitCode;
        }
        if (o.json) json(report);
        else out(formatReport(report));
        process.exitCode = exitCode;
      }),
    );
}
