/**
 * Which packet forwarders the GWMP server listens to. UDP has no handshake: anyone who can reach
 * the port can invent a new gateway EUI per datagram, and every one would cost a table entry, a
 * `gwmp_stats` row and a line of the status (which is written to the SD card every minute). With
 * `lora.gateways` only the listed EUIs are served; without it the first few heard are, and a slot
 * is given to a newcomer only once its holder has been silent for a while (a real forwarder
 * sends PULL_DATA every few seconds and a `stat` every 30 s).
 */

/** Forwarders served without an allow-list: a village gateway has one concentrator, maybe two. */
export const MAX_UNLISTED_GATEWAYS = 4;
/** Longest allow-list: the status shows one line per forwarder and must stay small. */
export const MAX_LISTED_GATEWAYS = 32;
/** An unlisted forwarder silent this long gives up its slot to a newcomer. */
export const UNLISTED_SLOT_MS = 10 * 60_000;

export type Admission = { ok: true; evict?: string } | { ok: false };

/**
 * Pure: `known` are the forwarders being served (EUI → last heard), `allow` the configured list
 * (lowercase EUIs) or undefined. Returns whether `eui` is served and whose slot it takes.
 */
export function admit(
  eui: string,
  known: ReadonlyMap<string, { lastSeen: number }>,
  allow: ReadonlySet<string> | undefined,
  now: number,
): Admission {
  if (allow !== undefined) return allow.has(eui) ? { ok: true } : { ok: false };
  if (known.has(eui) || known.size < MAX_UNLISTED_GATEWAYS) return { ok: true };
  let stalest: string | undefined;
  let stalestSeen = Number.POSITIVE_INFINITY;
  for (const [k, t] of known) {
    if (t.lastSeen < stalestSeen) {
      stalest = k;
      stalestSeen = t.lastSeen;
    }
  }
  if (stalest !== undefined && now - stalestSeen > UNLISTED_SLOT_MS) return { ok: true, evict: stalest };
  return { ok: false };
}
