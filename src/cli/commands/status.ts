import type { Command } from 'commander';
import type { Config } from '../../config/schema.js';
import { radioRate, UnavailableError } from '../../domain/index.js';
import type { Live } from '../../main.js';
import type { NeighbourStatus } from '../../neighbours/intake.js';
import { type Backlog, Outbox } from '../../store/outbox.js';
import type { ForwarderState } from '../../uplink/forwarder.js';
import { DEFAULT_TZ, formatLocalTime } from '../../util/local-time.js';
import { cliTarget, type GlobalOpts, readDb } from '../context.js';
import { formatAgo } from '../duration.js';
import { callGateway, followGateway } from '../gateway-call.js';
import { action, json, out, t } from '../io.js';
import { neighbourLines } from '../neighbours-status.js';
import { table } from '../table.js';
import { siteTz } from '../time.js';
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
    backlog?: Backlog;
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
  alerts?: {
    open: { zone: string; level: string; code: string; state: string }[];
    sms: { queued: number; awaiting_daemon: number; failed: number; last_error: string | null };
  };
  neighbours?: NeighbourStatus[];
};

type UplinkState = ForwarderState;

function sirenLine(sr: NonNullable<Status['sirens']>[number]): string {
  const vars = {
    id: sr.id,
    zone: sr.zone ?? '',
    on: Math.round(sr.onSecondsLastHour),
    fault: sr.fault ? t('status.siren_fault', { fault: sr.fault }) : '',
  };
  return t(sr.on ? (sr.zone ? 'status.siren_on_zone' : 'status.siren_on') : 'status.siren_off', vars);
}

const ago = (ms: number) => t('time.ago', { d: formatAgo(ms) });

function uplinkLine(u: UplinkState | null, now: number): string {
  if (!u) return t('status.uplink_none');
  const acked =
    u.lastPubackTs === null
      ? t('status.uplink_nothing_acked')
      : t('status.uplink_acked', { ago: formatAgo(now - u.lastPubackTs) });
  // "0 reconnects" while the fifth attempt is failing reads as "never tried": say what is happening.
  // With a failover list the technician must see which broker the gateway is on.
  const to = u.url ? t('status.uplink_to', { url: u.url }) : '';
  const link = u.connected
    ? t('status.uplink_connected', { to, reconnects: u.reconnects })
    : t('status.uplink_down', {
        to,
        error: u.lastError ? ` (${u.lastError})` : '',
        attempt: u.attempts ? t('status.uplink_attempt', { n: u.attempts }) : '',
        reconnects: u.reconnects,
      });
  return t('status.uplink', {
    link,
    events: u.backlog.events,
    readings: u.backlog.readings,
    packed: u.backlog.packed ? t('status.uplink_packed', { n: u.backlog.packed }) : '',
    acked,
    stalls: u.stalls,
  });
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

function alertLines(a: NonNullable<Status['alerts']>): string[] {
  const lines = a.open.map((i) =>
    t('status.incident', {
      code: i.code,
      zone: i.zone,
      level: i.level,
      state: t(`alerts.state.${i.state}` as 'alerts.state.open'),
    }),
  );
  if (a.open.length === 0) lines.push(t('status.incidents_none'));
  lines.push(
    t('status.sms', {
      queued: a.sms.queued,
      awaiting: a.sms.awaiting_daemon,
      failed: a.sms.failed,
      error: a.sms.last_error ? ` (${a.sms.last_error})` : '',
    }),
  );
  return lines;
}

const countList = (m: Record<string, number>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function formatStatus(s: Status, tz: string): string {
  const now = Date.now();
  const lines = [
    t('status.gateway', {
      id: s.gateway,
      version: s.version,
      up: formatAgo(s.uptime_s * 1000),
      clock: t(s.clock_ok ? 'status.clock_ok' : 'status.clock_bad'),
    }),
    '',
    table(
      [t('status.col.zone'), t('status.col.level'), t('status.col.score'), t('status.col.since')],
      s.zones.map((z) => [
        z.zone,
        z.level + (z.manual ? t('status.button') : ''),
        z.score,
        ago(now - z.since),
      ]),
    ),
    '',
    t('status.nodes', {
      online: s.nodes.online,
      offline: s.nodes.offline,
      unheard: s.nodes.total - s.nodes.online - s.nodes.offline,
      total: s.nodes.total,
    }),
  ];
  for (const p of s.serial) {
    lines.push(
      p.open
        ? t('status.serial_open', { path: p.path, reconnects: p.reconnects })
        : t('status.serial_down', {
            path: p.path,
            error: p.lastError ? ` (${p.lastError})` : '',
            reconnects: p.reconnects,
          }),
    );
  }
  for (const sr of s.sirens ?? []) lines.push(sirenLine(sr));
  for (const si of s.silences ?? []) {
    lines.push(t('status.silenced', { zone: si.zone, until: formatLocalTime(si.until, tz), by: si.by }));
  }
  if (s.uplink !== undefined) lines.push(uplinkLine(s.uplink, now));
  if (s.alerts) lines.push(...alertLines(s.alerts));
  if (s.neighbours) lines.push(...neighbourLines(s.neighbours, now));
  if (s.lora) {
    lines.push(`lora: GWMP udp/${s.lora.address.port}`);
    for (const r of s.lora.radio_stats) {
      lines.push(t('status.lora_radio', { eui: r.gatewayEui, rx: r.rxPackets, tx: r.txPackets }));
    }
    for (const g of s.lora.gateways) {
      lines.push(
        t('status.lora_forwarder', {
          eui: g.gatewayEui,
          rxpk: g.rxpk,
          ago: formatAgo(now - g.lastSeen),
          down: g.downlinks,
          refused: g.txAckError,
        }),
      );
    }
    if (s.lora.gateways.length === 0) lines.push(t('status.lora_none'));
    const net = s.counters.lora_net;
    if (net) lines.push(t('status.lora_network', { counts: countList(net) }));
  }
  if (s.local_broker) {
    const c = s.local_broker.clients;
    lines.push(
      t('status.local_broker', {
        nodes: c.node,
        sirens: c.siren,
        others: c.viewer + c.admin,
        failed: s.local_broker.authFailures,
      }),
    );
  }
  const stored = { committed: s.storage.committed, pending: s.storage.pending };
  lines.push(
    s.storage.error
      ? t('status.storage_error', { error: s.storage.error, ...stored })
      : t('status.storage_ok', stored),
  );
  if (s.disk) lines.push(t('status.disk', { free: s.disk.free_mb, total: s.disk.total_mb }));
  // lora_net is what the LoRa network server did (downlinks, joins), shown with LoRa above.
  const rejects = Object.entries(s.counters).filter(([scope]) => scope !== 'ingest' && scope !== 'lora_net');
  if (rejects.length > 0) {
    lines.push('', t('status.rejected'));
    for (const [scope, m] of rejects) {
      lines.push(`  ${scope}: ${countList(m)}`);
    }
  }
  return lines.join('\n');
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(t('status.cmd'))
    .option('--json', t('opt.json'))
    .action(
      action(async (o: { json?: boolean }) => {
        const { config, socket } = cliTarget(program.opts<GlobalOpts>(), false);
        const tz = siteTz(config);
        let s: Status;
        try {
          s = await callGateway<Status>(socket, 'status');
        } catch (e) {
          if (!(e instanceof UnavailableError)) throw e;
          // Not running: say so (exit 69), but still show the last saved status and today's backlog.
          const last = config && lastSavedStatus(config);
          if (!last) throw e;
          process.exitCode = e.exitCode;
          process.stderr.write(`siaga: ${e.message}\n`);
          if (o.json) return json({ running: false, ...last });
          out(
            `${t('status.not_running', {
              ago: formatAgo(Date.now() - last.saved_at),
              events: last.storage.backlog?.events ?? '?',
              readings: last.storage.backlog?.readings ?? '?',
            })}\n`,
          );
          return out(formatStatus(last, tz));
        }
        if (o.json) json({ running: true, ...s });
        else out(formatStatus(s, tz));
      }),
    );

  program
    .command('tail')
    .description(t('tail.cmd'))
    .option('--node <id>', t('opt.node'))
    .option('--type <type>', t('tail.opt.type'))
    .option('--json', t('tail.opt.json'))
    .action(
      action(async (o: { node?: string; type?: string; json?: boolean }) => {
        // Checked before following: a typo would otherwise follow nothing, for ever.
        if (o.type !== undefined) readingType(o.type);
        const { config, socket } = cliTarget(program.opts<GlobalOpts>(), false);
        if (o.node !== undefined) known(config, 'node', o.node);
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        await followGateway(
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
            process.stderr.write(`siaga: ${t('tail.skipped', { n })}\n`);
          },
        );
      }),
    );
}

export function formatLive(l: Live, tz: string = DEFAULT_TZ): string {
  if (l.kind === 'reading') {
    const r = l.reading;
    const v = Object.entries(r.v)
      .map(([k, x]) => `${k}=${x}`)
      .join(' ');
    return `${formatLocalTime(r.ts, tz, { seconds: true })}  ${r.node.padEnd(10)} ${r.type.padEnd(5)} #${r.seq} ${v}${r.radio ? `  (${r.via} ${r.radio.rssi} dBm ${radioRate(r.radio)})` : `  (${r.via})`}`;
  }
  const e = l.event;
  const f = e.fields;
  const what =
    e.kind === 'level'
      ? `${String(f.zone)} ${String(f.prev)} → ${String(f.level)}: ${String(f.reason)}`
      : e.kind === 'cap'
        ? // The XML is for machines; a person needs which document and where it is.
          `${String(f.msg_type)} ${String(f.identifier)}${f.file ? ` → ${String(f.file)}` : ''}`
        : e.kind === 'incident'
          ? `${String(f.code)} ${String(f.zone)} ${String(f.level)} (${String(f.change)})`
          : e.kind === 'ack'
            ? `${String(f.zone)} ${t('alerts.acked_by', { by: String(f.by), channel: String(f.channel), at: formatLocalTime(e.ts, tz) })}`
            : JSON.stringify(f);
  return `${formatLocalTime(e.ts, tz, { seconds: true })}  EVENT ${e.kind}  ${what}`;
}
