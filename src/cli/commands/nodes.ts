import type { Command } from 'commander';
import { gatewayRunning } from '../../control/client.js';
import { nodeRow } from '../../gateway/status.js';
import { loadNodeStates } from '../../store/node-state.js';
import { cliDbTarget, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { action, json, out, t } from '../io.js';
import { table } from '../table.js';

export function registerNodes(program: Command): void {
  program
    .command('nodes')
    .description(t('nodes.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const target = cliDbTarget(program.opts<GlobalOpts>());
        const { config } = target;
        const db = readDb(config);
        let states: ReturnType<typeof loadNodeStates>;
        try {
          states = loadNodeStates(db);
        } finally {
          db.close();
        }
        // With the gateway stopped nobody updates these states: "online" would be a guess.
        const running = await gatewayRunning(target.socket);
        const rows = config.nodes.map((n) => ({
          ...nodeRow(n, states.get(n.id)),
          ...(running ? {} : { last_known: true }),
        }));
        if (o.json) return json(rows);
        const now = Date.now();
        if (!running) out(`${t('nodes.not_running')}\n`);
        out(
          table(
            (
              [
                'node',
                'zone',
                'type',
                'state',
                'last_seen',
                'battery',
                'rssi',
                'lost',
                'resets',
                'dups',
              ] as const
            ).map((c) => t(`nodes.col.${c}`)),
            rows.map((r) => [
              r.node,
              r.zone,
              r.type,
              t(r.online === null ? 'nodes.unknown' : r.online ? 'nodes.online' : 'nodes.offline') +
                (running ? '' : t('nodes.last_known')),
              r.last_seen === null ? t('nodes.never') : t('time.ago', { d: formatAgo(now - r.last_seen) }),
              r.bat === null ? null : `${r.bat} V${r.bat_low ? t('nodes.low') : ''}`,
              r.rssi,
              r.lost,
              r.resets,
              r.dups,
            ]),
          ),
        );
      }),
    );
}
