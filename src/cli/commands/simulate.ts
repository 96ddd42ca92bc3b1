import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { NodeConfig } from '../../config/schema.js';
import { UsageError } from '../../domain/index.js';
import { LoraSimulator } from '../../sim/lora-forwarder.js';
import { SCENARIOS } from '../../sim/scenarios.js';
import { type SimSink, Simulator } from '../../sim/simulator.js';
import { loraSink, mqttNodeSink, serialDeviceSink } from '../../sim/sinks.js';
import { createLogger } from '../../util/log.js';
import { cliConfig, type GlobalOpts } from '../context.js';
import { action, out, t } from '../io.js';
import { storyLine } from '../story.js';
import { numberIn } from '../validate.js';

/**
 * --port must be a terminal device: writing to a path that does not exist would create a regular
 * file (in /dev it can later shadow the real adapter) and report frames "sent" to nobody.
 */
export function checkSerialPort(path: string): void {
  let fd: number;
  try {
    // No O_CREAT: a missing device stays missing. O_NOCTTY: it must not become our terminal.
    fd = openSync(path, constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(t('simulate.cannot_open', { path, code }));
  }
  try {
    if (!isatty(fd)) {
      throw new UsageError(t('simulate.not_tty', { path }));
    }
  } finally {
    closeSync(fd);
  }
}

interface SimulateOpts {
  port?: string;
  scenario?: string;
  rate: string;
  heartbeat: string;
  duration?: string;
  lora: boolean;
  mqttPasswords?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(t('simulate.cmd'))
    .option('--port <tty>', t('simulate.opt.port'))
    .option('--scenario <name>', t('opt.scenario', { scenarios: [...SCENARIOS.keys()].join(', ') }))
    .option('--rate <n>', t('simulate.opt.rate'), '0')
    .option('--heartbeat <s>', t('simulate.opt.heartbeat'), '60')
    .option('--duration <s>', t('simulate.opt.duration'))
    .option('--no-lora', t('simulate.opt.no_lora'))
    .option('--mqtt-passwords <file>', t('simulate.opt.mqtt_passwords'))
    .action(
      action(async (o: SimulateOpts) => {
        const { config } = cliConfig(program.opts<GlobalOpts>());
        const scenario = o.scenario === undefined ? undefined : SCENARIOS.get(o.scenario);
        if (o.scenario !== undefined && !scenario) {
          throw new UsageError(
            t('simulate.unknown_scenario', {
              name: o.scenario,
              scenarios: [...SCENARIOS.keys()].join(', '),
            }),
          );
        }
        const rate = Number(o.rate);
        const heartbeatS = Number(o.heartbeat);
        if (!(rate >= 0) || !(heartbeatS > 0)) throw new UsageError(t('simulate.bad_rate'));
        if (o.port !== undefined) checkSerialPort(o.port);
        const durationMs =
          o.duration !== undefined ? numberIn('--duration', o.duration, 1, 31 * 86_400) * 1000 : undefined;
        const log = createLogger('warn');
        const sinks = new Map<string, SimSink>();
        const closers: SimSink[] = [];

        if (o.lora && config.lora && config.lora.devices.length > 0) {
          const sim = new LoraSimulator({
            host: config.lora.gwmp.host === '0.0.0.0' ? '127.0.0.1' : config.lora.gwmp.host,
            port: config.lora.gwmp.port,
            gatewayEui: 'AA555A00000000FF',
            devices: config.lora.devices,
            log,
            sirens: config.sirens,
            onSirenCommand: (siren, on) =>
              out(`${t(on ? 'demo.lora_siren_on' : 'demo.lora_siren_off', { siren })}\n`),
          });
          await sim.start();
          const sink = loraSink(sim);
          closers.push(sink);
          for (const d of config.lora.devices) sinks.set(d.node, sink);
        }
        if (o.mqttPasswords && config.local_broker.enabled) {
          const passwords = parseYaml(readFileSync(o.mqttPasswords, 'utf8')) as Record<string, string>;
          for (const u of config.local_broker.users) {
            const pw = passwords[u.username];
            if (u.role !== 'node' || !u.node || pw === undefined || sinks.has(u.node)) continue;
            const host = config.local_broker.host === '0.0.0.0' ? '127.0.0.1' : config.local_broker.host;
            const scheme = config.local_broker.tls ? 'mqtts' : 'mqtt';
            const sink = await mqttNodeSink(
              `${scheme}://${host}:${config.local_broker.port}`,
              u.username,
              pw,
            );
            closers.push(sink);
            sinks.set(u.node, sink);
          }
        }
        const serial = o.port ? serialDeviceSink(o.port) : undefined;
        if (serial) closers.push(serial);
        const sinkFor = (n: NodeConfig) => sinks.get(n.id) ?? serial;
        const silent = config.nodes.filter((n) => !sinkFor(n)).map((n) => n.id);
        if (silent.length > 0) out(t('simulate.not_simulated', { nodes: silent.join(', ') }));

        const sim = new Simulator({
          nodes: config.nodes,
          heartbeatMs: heartbeatS * 1000,
          rate,
          ...(scenario ? { scenario } : {}),
          sinkFor,
          onNote: (note) => out(`── ${storyLine(note)}`),
          onError: (e) => process.stderr.write(`siaga simulate: ${String(e)}\n`),
        });
        sim.start();
        const n = config.nodes.length - silent.length;
        out(
          scenario ? t('simulate.started_story', { n, story: scenario.name }) : t('simulate.started', { n }),
        );
        await Promise.race([
          new Promise<void>((resolve) => process.once('SIGINT', () => resolve())),
          ...(durationMs !== undefined ? [new Promise<void>((r) => setTimeout(r, durationMs))] : []),
          ...(scenario && durationMs === undefined ? [sim.done] : []),
        ]);
        await sim.stop();
        for (const c of closers) await c.close?.();
        out(t('simulate.sent', { n: sim.sent }));
      }),
    );
}
