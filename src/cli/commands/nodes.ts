import type { Command } from 'commander';
import { nodeRow } from '../../gateway/status.js';
import { loadNodeStates } from '../../store/node-state.js';
import { cliConfig, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { action, json, out } from '../io.js';
import { table } from '../table.js';

export function registerNodes(program: Command): void {
  program
    .command('nodes')
    .description('one row per node: zone, type, last seen, battery, rssi, lost, resets, online')
    .option('--json', 'JSON for scripts')
    .action(
      action((o: { json?: boolean }) => {
        const { config } = cliConfig(program.opts<GlobalOpts>());
        const db = readDb(config);
        let states: ReturnType<typeof loadNodeStates>;
        try {
          states = loadNodeStates(db);
        } finally {
          db.close();
        }
        const rows = config.nodes.map((n) => nodeRow(n, states.get(n.id)));
        if (o.json) return json(rows);
        const now = Date.now();
        out(
          table(
            ['node', 'zone', 'type', 'state', 'last seen', 'battery', 'rssi', 'lost', 'resets', 'dups'],
            rows.map((r) => [
              r.node,
              r.zone,
              r.type,
              r.online === null ? 'unknown' : r.online ? 'online' : 'OFFLINE',
              r.last_seen === null ? 'never' : `${formatAgo(now - r.last_seen)} ago`,
              r.bat === null ? null : `${r.bat} V${r.bat_low ? ' LOW' : ''}`,
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
