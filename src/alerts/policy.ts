import type { AlertContact, AlertPolicy } from '../config/schema.js';

/** The first policy naming the zone, else the first `"*"` one (config order decides, as documented). */
export function policyFor(policies: readonly AlertPolicy[], zone: string): AlertPolicy | undefined {
  return policies.find((p) => p.zone === zone || p.zone === '*');
}

/**
 * The contact ids a step's `notify` list reaches, in the order written (a role expands to its
 * contacts in config order), each once. Names the config check refused never reach here.
 */
export function resolveNotify(notify: readonly string[], contacts: readonly AlertContact[]): string[] {
  const out: string[] = [];
  for (const target of notify) {
    const ids = target.startsWith('role:')
      ? contacts.filter((c) => c.roles.includes(target.slice(5))).map((c) => c.id)
      : contacts.some((c) => c.id === target)
        ? [target]
        : [];
    for (const id of ids) if (!out.includes(id)) out.push(id);
  }
  return out;
}
