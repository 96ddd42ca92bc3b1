/**
 * Counters by scope (serial, lora, broker, ingest…) and reason. Every rejected input ends up here
 * so a technician can see in `siaga status` why readings do not arrive.
 */
export class Counters {
  private readonly scopes = new Map<string, Map<string, number>>();

  count(scope: string, name: string, by = 1): void {
    let m = this.scopes.get(scope);
    if (!m) {
      m = new Map();
      this.scopes.set(scope, m);
    }
    m.set(name, (m.get(name) ?? 0) + by);
  }

  get(scope: string, name: string): number {
    return this.scopes.get(scope)?.get(name) ?? 0;
  }

  /** A counting function bound to one scope, for drivers that only know their own reasons. */
  scoped(scope: string): (name: string, by?: number) => void {
    return (name, by = 1) => this.count(scope, name, by);
  }

  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    // Code-unit order: localeCompare would page in ICU's collation data (~3 MB, for good) at the
    // first heartbeat, for names that are ASCII anyway.
    for (const [scope, m] of this.scopes)
      out[scope] = Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return out;
  }
}
