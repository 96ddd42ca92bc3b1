import type { Config, NodeConfig, ZoneConfig } from '../../src/config/schema.js';
import type { SimParams } from './params.js';

/**
 * The simulated zone in a flat local frame, in metres: the origin is the zone's centre, +y points
 * from the park towards the fields (along `layout.bearing_deg`), +x to the right of that. Node
 * positions come from the config's lat/lon, so a park simulates its own layout.
 */

export interface Point {
  x: number;
  y: number;
}

export interface SimNode extends Point {
  id: string;
  type: NodeConfig['type'];
}

export interface Geometry {
  zone: ZoneConfig;
  center: readonly [number, number];
  bearingRad: number;
  /** Sensor nodes with a place (pir, seis, beam, cam, fence). */
  sensors: SimNode[];
  /** Collars and panic buttons of the zone: placed by the herd or the child, not on the ground. */
  collars: string[];
  buttons: string[];
  layout: SimParams['layout'];
}

const M_PER_DEG_LAT = 110_574;
const mPerDegLon = (lat: number) => 111_320 * Math.cos((lat * Math.PI) / 180);

/** The zone to simulate: the named one, else the first with a centre. Its placed nodes must have lat/lon. */
export function geometryOf(config: Config, layout: SimParams['layout'], zoneId?: string): Geometry {
  const zone = config.zones.find((z) => (zoneId === undefined ? z.center !== undefined : z.id === zoneId));
  if (zone === undefined)
    throw new Error(zoneId ? `no zone "${zoneId}" in the site config` : 'no zone with a center');
  if (zone.center === undefined) throw new Error(`zone ${zone.id} needs a center for the simulator`);
  const center = zone.center;
  const bearingRad = (layout.bearing_deg * Math.PI) / 180;
  const nodes = config.nodes.filter((n) => n.zone === zone.id);
  const sensors: SimNode[] = [];
  for (const n of nodes) {
    if (n.type === 'gps' || n.type === 'btn' || n.type === 'hb') continue;
    if (n.lat === undefined || n.lon === undefined)
      throw new Error(`node ${n.id} needs lat/lon for the simulator`);
    sensors.push({ id: n.id, type: n.type, ...toLocal(center, bearingRad, n.lat, n.lon) });
  }
  return {
    zone,
    center,
    bearingRad,
    sensors,
    collars: nodes.filter((n) => n.type === 'gps').map((n) => n.id),
    buttons: nodes.filter((n) => n.type === 'btn').map((n) => n.id),
    layout,
  };
}

export function toLocal(
  center: readonly [number, number],
  bearingRad: number,
  lat: number,
  lon: number,
): Point {
  const e = (lon - center[1]) * mPerDegLon(center[0]);
  const n = (lat - center[0]) * M_PER_DEG_LAT;
  const s = Math.sin(bearingRad);
  const c = Math.cos(bearingRad);
  return { x: e * c - n * s, y: e * s + n * c };
}

export function toLatLon(g: Pick<Geometry, 'center' | 'bearingRad'>, p: Point): [number, number] {
  const s = Math.sin(g.bearingRad);
  const c = Math.cos(g.bearingRad);
  const e = p.x * c + p.y * s;
  const n = -p.x * s + p.y * c;
  return [g.center[0] + n / M_PER_DEG_LAT, g.center[1] + e / mPerDegLon(g.center[0])];
}

export const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);
