import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { call, follow } from '../../control/client.js';
import { radioRate, UnavailableError } from '../../domain/index.js';
import type { Live } from '../../main.js';
import { Outbox } from '../../store/outbox.js';
import type { ForwarderState } from '../../uplink/forwarder.js';
import { cliTarget, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { action, json, out } from '../io.js';
import { table } from '../table.js';
import { formatLocal, siteTz } from '../time.js';
import { known, readingType } from '../validate.js';

type Status = Record<string, unknown> & {
  gateway: string;
  version: string;
  uptime_s: number;
  clock_ok: boolean;
  zones: { zone: string; level: string; score: number; since: number; manual: boolean }[];
  nodes: { total: number; online: number; offline: number };
  serial: { path: string; open: boolean; reconnects: number; lastError?: string }[];
  storage: {
    error: string | null;
    pending: number;
    committed: number;
    backlog?: { events: number; readings: number };
  };
  disk: { free_mb: number; total_mb: number } | null;
  counters: Record<string, Record<string, number>>;
  uplink?: UplinkState | null;
  sirens?: { id: string; on: boolean; zone: string | null; fault?: string; onSecondsLastHour: number }[];
  silences?: { zone: string; until: number; by: string }[];
  lora?: {
    address: { port: number };
    gateways: { gatewayEui: string; rxpk: number; lastSeen: number; downlinks: number; txAckError: number }[];
    radio_stats: { gatewayEui: string; rxPackets: number; txPackets: number }[];
  } | null;
  local_broker?: {
    clients: Record<'node' | 'siren' | 'viewer' | 'admin', number>;
    authFailures: number;
  } | null;
};

type UplinkState = ForwarderState;

function sirenLine(sr: NonNullable<Status['sirens']>[number]): string {
  const state = sr.on ? `SOUNDING${sr.zone ? ` for ${sr.zone}` : ''}` : 'off';
  return `siren ${sr.id}: ${state}, ${Math.round(sr.onSecondsLastHour)} s on in the last hour${sr.fault ? `, FAULT: ${sr.fault}` : ''}`;
}

function uplinkLine(u: UplinkState | null, now: number): string {
  if (!u) return 'uplink: none configured (local only)';
  const acked =
    u.lastPubackTs === null
      ? 'nothing acknowledged yet'
      : `last PUBACK ${formatAgo(now - u.lastPubackTs)} ago`;
  // "0 reconnects" while the fifth attempt is failing reads as "never tried": say what is happening.
  const link = u.connected
    ? `connected, ${u.reconnects} reconnects`
    : `DISCONNECTED${u.lastError ? ` (${u.lastError})` : ''}, reconnecting${u.attempts ? ` (attempt ${u.attempts})` : ''}, ${u.reconnects} reconnects so far`;
  return `uplink: ${link}, backlog ${u.backlog.events} events + ${u.backlog.readings} readings, ${acked}, ${u.stalls} stalls`;
}

/** The status the gateway saved on its last heartbeat, with the outbox backlog as it is now. */
function lastSavedStatus(config: Config): (Status & { saved_at: number }) | undefined {
  let db: ReturnType<typeof readDb> | undefined;
  try {
    db = readDb(config);
    const row = db.prepare("SELECT value FROM meta WHERE key = 'status'").get() as
      | { value: string }
      | undefined;
    if (!row) return undefined;
    const s = JSON.parse(row.value) as Status & { saved_at: number };
    s.storage.backlog = new Outbox(db).backlog();
    return s;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

export function formatStatus(s: Status, tz: string): string {
  const now = Date.now();
  const lines = [
    `gateway ${s.gateway} v${s.version}, up ${formatAgo(s.uptime_s * 1000)}, clock ${s.clock_ok ? 'ok' : 'NOT SYNCED (readings flagged)'}`,
    '',
    table(
      ['zone', 'level', 'score', 'since'],
      s.zones.map((z) => [
        z.zone,
        z.level + (z.manual ? ' (button)' : ''),
        z.score,
        `${formatAgo(now - z.since)} ago`,
      ]),
    ),
    '',
    `nodes: ${s.nodes.online} online, ${s.nodes.offline} offline, ${s.nodes.total - s.nodes.online - s.nodes.offline} not heard yet (of ${s.nodes.total})`,
  ];
  for (const p of s.serial) {
    lines.push(
      `serial ${p.path}: ${p.open ? 'open' : `DOWN${p.lastError ? ` (${p.lastError})` : ''}`}, reconnects ${p.reconnects}`,
    );
  }
  for (const sr of s.sirens ?? []) lines.push(sirenLine(sr));
  for (const si of s.silences ?? []) {
    lines.push(`zone ${si.zone} silenced until ${formatLocal(si.until, tz)} by ${si.by}`);
  }
  if (s.uplink !== undefined) lines.push(uplinkLine(s.uplink, now));
  if (s.lora) {
    lines.push(`lora: GWMP udp/${s.lora.address.port}`);
    for (const r of s.lora.radio_stats) {
      lines.push(
        `  radio ${r.gatewayEui} (its own stat reports): ${r.rxPackets} packets received, ${r.txPackets} sent`,
      );
    }
    for (const g of s.lora.gateways) {
      lines.push(
        `  forwarder ${g.gatewayEui}: ${g.rxpk} uplinks, last heard ${formatAgo(now - g.lastSeen)} ago, downlinks ${g.downlinks} (${g.txAckError} refused)`,
      );
    }
    if (s.lora.gateways.length === 0)
      lines.push('  no packet forwarder has talked to us yet (check serv_port_up in global_conf.json)');
  }
  if (s.local_broker) {
    const c = s.local_broker.clients;
    lines.push(
      `local broker: ${c.node} nodes, ${c.siren} sirens, ${c.viewer + c.admin} others connected; ${s.local_broker.authFailures} failed logins`,
    );
  }
  lines.push(
    `storage: ${s.storage.error ? `ERROR ${s.storage.error}` : 'ok'}, ${s.storage.committed} readings committed since start, ${s.storage.pending} pending`,
  );
  if (s.disk) lines.push(`disk: ${s.disk.free_mb} MB free of ${s.disk.total_mb} MB`);
  const rejects = Object.entries(s.counters).filter(([scope]) => scope !== 'ingest');
  if (rejects.length > 0) {
    lines.push('', 'rejected input by reason:');
    for (const [scope, m] of rejects) {
      lines.push(
        `  ${scope}: ${Object.entries(m)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
    }
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'levels per zone, sirens, backlog, uplink, nodes online/offline, clock, disk (asks the running gateway)',
    )
    .option('--json', 'JSON for scripts')
    .action(
      action(async (o: { json?: boolean }) => {
        const { config, socket } = cliTarget(program.opts<GlobalOpts>(), false);
        const tz = siteTz(config);
        let s: Status;
        try {
          s = await call<Status>(socket, 'status');
        } catch (e) {
          if (!(e instanceof UnavailableError)) throw e;
          // Not running: say so (exit 69), but still show the last saved status and today's backlog.
          const last = config && lastSavedStatus(config);
          if (!last) throw e;
          process.exitCode = e.exitCode;
          process.stderr.write(`siaga: ${e.message}\n`);
          if (o.json) return json({ running: false, ...last });
          out(
            `GATEWAY NOT RUNNING — last status saved ${formatAgo(Date.now() - last.saved_at)} ago; outbox backlog now: ${last.storage.backlog?.events ?? '?'} events, ${last.storage.backlog?.readings ?? '?'} readings\n`,
          );
          return out(formatStatus(last, tz));
        }
        if (o.json) json({ running: true, ...s });
        else out(formatStatus(s, tz));
      }),
    );

  program
    .command('tail')
    .description('follow readings and events live (Ctrl-C to stop)')
    .option('--node <id>', 'only this node')
    .option('--type <type>', 'only this reading type')
    .option('--json', 'one JSON object per line')
    .action(
      action(async (o: { node?: string; type?: string; json?: boolean }) => {
        // Checked before following: a typo would otherwise follow nothing, for ever.
        if (o.type !== undefined) readingType(o.type);
        const { config, socket } = cliTarget(program.opts<GlobalOpts>(), false);
        if (o.node !== undefined) known(config, 'node', o.node);
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        await follow(
          socket,
          'tail',
          { ...(o.node ? { node: o.node } : {}), ...(o.type ? { type: o.type } : {}) },
          (item) => {
            const l = item as Live;
            if (o.json) return out(JSON.stringify(l));
            out(formatLive(l, siteTz(config)));
          },
          ac.signal,
          (n) => {
            // stderr, so `tail --json | jq` stays valid JSON; a person still sees the gap.
            process.stderr.write(
              `siaga: ${n} readings/events skipped here because this terminal read too slowly (the gateway keeps them all)\n`,
            );
          },
        );
      }),
    );
}

export function formatLive(l: Live, tz?: string): string {
  if (l.kind === 'reading') {
    const r = l.reading;
    const v = Object.entries(r.v)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ');
    return `${formatLocal(r.ts, tz, { seconds: true })}  ${r.node.padEnd(10)} ${r.type.padEnd(5)} #${r.seq} ${v}${r.radio ? `  (${r.via} ${r.radio.rssi} dBm ${radioRate(r.radio)})` : `  (${r.via})`}`;
  }
  const e = l.event;
  const f = e.fields;
  const what =
    e.kind === 'level'
      ? `${String(f.zone)} ${String(f.prev)} → ${String(f.level)}: ${String(f.reason)}`
      : JSON.stringify(f);
  return `${formatLocal(e.ts, tz, { seconds: true })}  EVENT ${e.kind}  ${what}`;
}
