import type { Command } from 'commander';
import { type ReplayResult, replay, type SirenSwitch } from '../../report/replay.js';
import { openReplaySource } from '../../report/replay-source.js';
import { formatLocalTime } from '../../util/local-time.js';
import { cliConfig, type GlobalOpts } from '../context.js';
import { action, json, out, t } from '../io.js';
import { table } from '../table.js';

/** One stretch of a siren sounding for a zone: the on/off pattern's toggles folded into it. */
interface Sounding {
  siren: string;
  zone: string | null;
  cause: string;
  from: number;
  to: number;
  onMs: number;
}

/** Folds the pattern's 20 s on / 10 s off toggles into one line per alarm, as a person tells it. */
export function soundings(switches: readonly SirenSwitch[], end: number): Sounding[] {
  const open = new Map<string, { s: Sounding; since: number | undefined }>();
  const done: Sounding[] = [];
  for (const sw of switches) {
    const cur = open.get(sw.siren);
    if (sw.on) {
      if (cur !== undefined && sw.cause === 'pattern') {
        cur.since = sw.ts;
        continue;
      }
      if (cur !== undefined) done.push(cur.s);
      open.set(sw.siren, {
        s: { siren: sw.siren, zone: sw.zone, cause: sw.cause, from: sw.ts, to: sw.ts, onMs: 0 },
        since: sw.ts,
      });
    } else if (cur !== undefined) {
      if (cur.since !== undefined) cur.s.onMs += sw.ts - cur.since;
      cur.since = undefined;
      cur.s.to = sw.ts;
      if (sw.cause !== 'pattern') {
        done.push(cur.s);
        open.delete(sw.siren);
      }
    }
  }
  // A run whose last off was the pattern's ended there: its activation ran out while quiet.
  for (const cur of open.values()) {
    if (cur.since !== undefined) {
      cur.s.onMs += end - cur.since;
      cur.s.to = end;
    }
    done.push(cur.s);
  }
  return done.sort((a, b) => a.from - b.from);
}

function print(r: ReplayResult, tz: string, source: string, config: string): void {
  const when = (ts: number) => formatLocalTime(ts, tz, { seconds: true });
  out(
    t('replay.header', {
      readings: r.readings,
      source,
      config,
      from: r.readings > 0 ? when(r.from) : '-',
      to: r.readings > 0 ? when(r.to) : '-',
    }),
  );
  if (r.unknownNodes > 0) out(t('replay.unknown_nodes', { n: r.unknownNodes }));
  if (r.changes.length === 0) out(t('replay.no_changes'));
  else
    out(
      table(
        [t('replay.col.time'), t('replay.col.zone'), t('replay.col.level'), t('replay.col.reason')],
        r.changes.map((c) => [when(c.ts), c.zone, `${c.prev} → ${c.level}`, c.reason]),
      ),
    );
  const runs = soundings(r.sirens, r.to);
  if (runs.length > 0) {
    out('');
    out(
      table(
        [
          t('replay.col.siren'),
          t('replay.col.zone'),
          t('replay.col.from'),
          t('replay.col.to'),
          t('replay.col.on'),
        ],
        runs.map((s) => [
          s.siren,
          s.zone ?? '-',
          when(s.from),
          when(s.to),
          `${Math.round(s.onMs / 1000)} s (${s.cause})`,
        ]),
      ),
    );
  }
  const awas = r.changes.filter((c) => c.level === 'AWAS').length;
  const seconds = Object.values(r.sirenSeconds).reduce((a, b) => a + b, 0);
  out('');
  out(
    t('replay.summary', {
      awas,
      sirens: runs.length,
      seconds: Math.round(seconds),
      sms: r.notifications.length,
    }),
  );
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(t('replay.cmd'))
    .requiredOption('--from <file>', t('replay.opt.from'))
    .option('--json', t('opt.json'))
    .action(
      action((o: { from: string; json?: boolean }) => {
        const { config, file } = cliConfig(program.opts<GlobalOpts>());
        const src = openReplaySource(o.from);
        let r: ReplayResult;
        try {
          r = replay(config, src.readings);
        } finally {
          src.close();
        }
        if (o.json) return json({ ...r, skipped: src.skipped, soundings: soundings(r.sirens, r.to) });
        for (const s of src.skipped.slice(0, 10)) process.stderr.write(`siaga: ${t('replay.skipped', s)}\n`);
        if (src.skipped.length > 10)
          process.stderr.write(`siaga: ${t('replay.skipped_more', { n: src.skipped.length - 10 })}\n`);
        print(r, config.gateway.site.tz, o.from, file);
      }),
    );
}
