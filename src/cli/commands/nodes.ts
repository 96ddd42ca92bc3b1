import type { Command } from 'commander';
import { gatewayRunning } from '../../control/client.js';
import { nodeRow } from '../../gateway/status.js';
import { loadNodeStates } from '../../store/node-state.js';
import { cliDbTarget, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { action, json, out } from '../io.js';
import { table } from '../table.js';

export function registerNodes(program: Command): void {
  program
    .command('nodes')
    .description('one row per node: zone, type, last seen, battery, rssi, lost, resets, online')
    .option('--json', 'JSON for scripts')
    .action(
      action(async (o: { json?: boolean }) => {
        const t = cliDbTarget(program.opts<GlobalOpts>());
        const { config } = t;
        const db = readDb(config);
        let states: ReturnType<typeof loadNodeStates>;
        try {
          states = loadNodeStates(db);
        } finally {
          db.close();
        }
        // With the gateway stopped nobody updates these states: "online" would be a guess.
        const running = await gatewayRunning(t.socket);
        const rows = config.nodes.map((n) => ({
          ...nodeRow(n, states.get(n.id)),
          ...(running ? {} : { last_known: true }),
        }));
        if (o.json) return json(rows);
        const now = Date.now();
        if (!running)
          out(
            'the gateway is not running: node states are the last it knew (start it: sudo systemctl start siaga)\n',
          );
        out(
          table(
            ['node', 'zone', 'type', 'state', 'last seen', 'battery', 'rssi', 'lost', 'resets', 'dups'],
            rows.map((r) => [
              r.node,
              r.zone,
              r.type,
              (r.online === null ? 'unknown' : r.online ? 'online' : 'OFFLINE') +
                (running ? '' : ' (last known, gateway not running)'),
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
