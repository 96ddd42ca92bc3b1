/** A WGS84 position as `[lat, lon]` in degrees (the shape of `zones[].center`). */
export type LatLon = readonly [lat: number, lon: number];

/** Mean Earth radius (IUGG), metres. Good to ~0.5 % — plenty for a zone radius of a few km. */
const EARTH_RADIUS_M = 6_371_008.8;

const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle distance in metres between two WGS84 positions (haversine formula). */
export function haversineM(a: LatLon, b: LatLon): number {
  const dLat = rad(b[0] - a[0]);
  const dLon = rad(b[1] - a[1]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[0])) * Math.cos(rad(b[0])) * Math.sin(dLon / 2) ** 2;
  // min() guards asin against rounding just above 1 for antipodal points.
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
