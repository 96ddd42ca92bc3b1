/**
 * `key` deleted from a Map or Set that lives long and churns (an entry added and deleted per
 * reading or per publish); once it is empty, a new one is returned in its place.
 *
 * Why: V8 allocates the hash table of a Map or Set that has reached the old generation in the old
 * generation again each time it rehashes, and a table that churns rehashes every few inserts (its
 * deleted slots fill it). At 1,000 readings/s the live path's tables were ~20,000 dead tables and
 * ~8 MB of old-generation garbage in 15 s, which only a full GC frees: most of the gateway's peak
 * RSS growth under load (bench/README, "Memory", round 8). A new, empty collection is young, and
 * one that empties every few milliseconds never lives long enough to be promoted.
 */
export function deleteFresh<K, V>(m: Map<K, V>, key: K): Map<K, V>;
export function deleteFresh<K>(m: Set<K>, key: K): Set<K>;
export function deleteFresh<K, V>(m: Map<K, V> | Set<K>, key: K): Map<K, V> | Set<K> {
  m.delete(key);
  if (m.size > 0) return m;
  return m instanceof Map ? new Map<K, V>() : new Set<K>();
}
