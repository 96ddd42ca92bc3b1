import type { Direction } from '../config/schema-neighbours.js';

/** "800 m", "1.2 km", "12 km": how far a villager would say it is. */
export function distanceText(m: number): string {
  if (m < 1000) return `${Math.round(m)} m`;
  const km = m / 1000;
  return `${km < 10 ? String(Number(km.toFixed(1))) : String(Math.round(km))} km`;
}

/** Our level event's reason part for a pre-alert: "gw-braja-02 AWAS 1.2 km west". */
export function preAlertText(
  gateway: string,
  level: string,
  distanceM: number,
  direction?: Direction,
): string {
  return `${gateway} ${level} ${distanceText(distanceM)}${direction ? ` ${direction}` : ''}`;
}
