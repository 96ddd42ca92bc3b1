import type { Command } from 'commander';
import { loraCounters, storedSessions } from '../../store/lora-sessions.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliDbTarget, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { action, json, out, t } from '../io.js';
import { table } from '../table.js';

/** One LoRa device as `siaga lora devices` shows it; never a key. */
export interface LoraDeviceView {
  node: string;
  activation: 'ABP' | 'OTAA';
  dev_eui: string | null;
  /** null: an OTAA device that has not joined. */
  dev_addr: string | null;
  fcnt_up: number | null;
  fcnt_down: number | null;
  last_join: number | null;
  last_seen: number | null;
}

/**
 * `siaga lora devices`: reads the database directly (like `nodes`), so it works with the gateway
 * stopped: a technician provisioning a device sees at once whether it joined and is counting.
 */
export function registerLora(program: Command): void {
  const lora = program.command('lora').description(t('lora.cmd'));
  lora
    .command('devices')
    .description(t('lora.devices.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const { config } = cliDbTarget(program.opts<GlobalOpts>());
        const devices = config.lora?.devices ?? [];
        const db = readDb(config);
        let rows: LoraDeviceView[];
        try {
          const sessions = new Map(storedSessions(db).map((s) => [s.devEui, s]));
          rows = devices.map((d) => {
            const session = d.dev_eui === undefined ? undefined : sessions.get(d.dev_eui);
            const addr = d.dev_addr?.toLowerCase() ?? session?.devAddr ?? null;
            const c = addr === null ? undefined : loraCounters(db, addr);
            return {
              node: d.node,
              activation: d.dev_eui === undefined ? 'ABP' : 'OTAA',
              dev_eui: d.dev_eui ?? null,
              dev_addr: addr,
              fcnt_up: c?.fcntUp ?? null,
              fcnt_down: c?.fcntDown ?? null,
              last_join: session?.joinedAt ?? null,
              last_seen: c?.lastSeen ?? null,
            };
          });
        } finally {
          db.close();
        }
        if (o.json) return json(rows);
        if (rows.length === 0) return out(`${t('lora.none')}\n`);
        const now = Date.now();
        const tz = config.gateway.site.tz;
        out(
          table(
            [
              t('nodes.col.node'),
              ...(['activation', 'dev_addr', 'fcnt_up', 'fcnt_down', 'last_join', 'last_seen'] as const).map(
                (c) => t(`lora.col.${c}`),
              ),
            ],
            rows.map((r) => [
              r.node,
              r.activation,
              r.dev_addr ?? t('lora.not_joined'),
              r.fcnt_up,
              r.fcnt_down,
              r.activation === 'ABP'
                ? '-'
                : r.last_join === null
                  ? t('nodes.never')
                  : formatLocalTime(r.last_join, tz),
              r.last_seen === null ? t('nodes.never') : t('time.ago', { d: formatAgo(now - r.last_seen) }),
            ]),
          ),
        );
      }),
    );
}
