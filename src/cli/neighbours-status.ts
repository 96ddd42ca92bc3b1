import type { NeighbourConfig } from '../config/schema-neighbours.js';
import type { NeighbourStatus } from '../neighbours/intake.js';
import { distanceText } from '../neighbours/text.js';
import { formatAgo } from './duration.js';
import { t } from './io.js';

/** `siaga status` lines for neighbour pre-alerts: each path up or down, the last event, what was ignored. */
export function neighbourLines(list: readonly NeighbourStatus[], now: number): string[] {
  if (list.length === 0) return [];
  const lines = [t('status.neighbours')];
  for (const n of list) {
    const links = Object.entries(n.links).map(([path, up]) =>
      t(up ? 'status.neighbour_up' : 'status.neighbour_down', {
        path: t(`status.neighbour_path.${path}` as 'status.neighbour_path.centre'),
      }),
    );
    const e = n.last_event;
    const ignored = Object.entries(n.ignored)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(
      t('status.neighbour', {
        gateway: n.gateway,
        links: links.join(', '),
        last: e
          ? t('status.neighbour_event', { level: e.level, zone: e.zone, ago: formatAgo(now - e.received) })
          : t('status.neighbour_none_yet'),
        accepted: n.accepted,
        ignored: ignored === '' ? t('status.neighbour_ignored_none') : ignored,
      }),
    );
  }
  return lines;
}

/** `siaga config check`: one line per neighbour, e.g. "neighbour gw-braja-02: z-edge → z-braja, 1.2 km west, heard via the centre". */
export function neighbourSummary(n: NeighbourConfig, viaCentre: boolean): string {
  const paths = [
    ...(viaCentre ? [t('status.neighbour_path.centre')] : []),
    ...(n.broker ? [t('status.neighbour_path.mesh')] : []),
  ];
  return t('config.summary.neighbour', {
    gateway: n.gateway,
    zones: Object.entries(n.zones)
      .map(([theirs, ours]) => `${theirs} → ${ours}`)
      .join(', '),
    distance: `${distanceText(n.distance_m)}${n.direction ? ` ${n.direction}` : ''}`,
    paths: paths.join(' + '),
  });
}
