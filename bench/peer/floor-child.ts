import Database from 'better-sqlite3';
import { Command } from 'commander';
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { settleHeapAfterStart } from '../../src/gateway/heap.js';
import { connectClient } from '../../src/uplink/stream-builder.js';

/**
 * bench:peer's floor (bench/peer/floor.ts): Node with the libraries `siaga run` loads, each
 * opened the way siaga opens it, and nothing else: no ingest, no detection, no store of siaga's
 * own. Not the YAML parser nor zod: `siaga run` checks its config in a process of its own
 * (src/config/load-isolated.ts). Bundled with the run bundle's options (scripts/bundle.mjs), started with the unit's flags.
 * Its RSS is what no gateway built on this stack can go below.
 *
 * argv: <database file> <serial port> <broker url>. Prints `ready` once the broker answered.
 */
const [dbPath, serialPath, brokerUrl] = process.argv.slice(2);
if (!dbPath || !serialPath || !brokerUrl) throw new Error('floor-child: <db> <serial> <broker url>');

const cli = new Command('siaga').option('-c, --config <file>').parse(['node', 'siaga', '-c', 'x.yaml']);
const log = pino({ level: 'info' });

const db = new Database(dbPath);
db.pragma('cache_size = -512');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS readings (id TEXT PRIMARY KEY, body TEXT NOT NULL)');
db.prepare('INSERT OR REPLACE INTO readings VALUES (?, ?)').run('floor', '{}');

const port = new SerialPort({ path: serialPath, baudRate: 115200 });
port.on('data', () => {});
port.on('error', (e) => log.error({ err: e }, 'serial'));

const client = connectClient(brokerUrl, {
  clientId: 'siaga-floor',
  writeCache: false,
  reconnectPeriod: 1000,
});
client.on('error', (e) => log.error({ err: e }, 'mqtt'));
client.once('connect', () => {
  log.info({ config: cli.opts().config }, 'floor ready');
  process.stdout.write('ready\n');
  settleHeapAfterStart();
});

process.once('SIGTERM', () => {
  client.end(true);
  port.close();
  db.close();
});
