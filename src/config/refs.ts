import { SMS_KINDS, type SmsKind, templateProblems } from '../alerts/sms-text.js';
import type { ConfigIssue } from '../domain/index.js';
import { checkNeighbourRefs } from './schema-neighbours.js';

type Obj = Record<string, unknown>;
/** A mapping, or an empty one: the schema reports what is wrong with the value itself. */
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
/** A list of mappings, keeping indices so paths stay right. */
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Cross-reference checks the schema cannot express: every id unique, node → zone, zone → siren,
 * lora device → node, broker user → node/siren, role bindings. Each problem names its path.
 * Takes the raw file as well as a validated config, so a file with schema errors still gets its
 * reference problems reported in the same run; a value of the wrong type is skipped here.
 */
export function checkRefs(config: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const c = {
    nodes: list(obj(config).nodes),
    zones: list(obj(config).zones),
    sirens: list(obj(config).sirens),
    serial: list(obj(config).serial),
    lora: obj(config).lora === undefined ? undefined : { devices: list(obj(obj(config).lora).devices) },
    local_broker: obj(obj(config).local_broker),
    commands: { keys: list(obj(obj(config).commands).keys) },
    uplink: obj(config).uplink === undefined ? undefined : obj(obj(config).uplink),
  };
  const broker = {
    enabled: c.local_broker.enabled === true,
    host: str(c.local_broker.host) ?? '127.0.0.1',
    tls: c.local_broker.tls,
    users: list(c.local_broker.users),
  };

  const unique = (items: Obj[], section: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const itemId = str(item.id);
      if (itemId === undefined) return;
      const first = seen.get(itemId);
      if (first !== undefined)
        add(`${section}[${i}].id`, `duplicate id "${itemId}" (also ${section}[${first}])`);
      else seen.set(itemId, i);
    });
    return seen;
  };

  const zones = unique(c.zones, 'zones');
  const sirens = unique(c.sirens, 'sirens');
  const nodes = unique(c.nodes, 'nodes');

  c.nodes.forEach((n, i) => {
    if (typeof n.zone === 'string' && !zones.has(n.zone)) add(`nodes[${i}].zone`, `unknown zone "${n.zone}"`);
  });

  const sirenZone = new Map<string, string>();
  c.zones.forEach((z, i) => {
    const zoneId = str(z.id);
    (Array.isArray(z.sirens) ? z.sirens : []).forEach((s: unknown, j) => {
      if (typeof s !== 'string') return;
      if (!sirens.has(s)) add(`zones[${i}].sirens[${j}]`, `unknown siren "${s}"`);
      const other = sirenZone.get(s);
      if (other !== undefined && other !== zoneId)
        add(`zones[${i}].sirens[${j}]`, `siren "${s}" already belongs to zone "${other}"`);
      if (zoneId !== undefined) sirenZone.set(s, zoneId);
    });
  });

  const loraNodeSet = new Set(c.lora?.devices.map((d) => str(d.node)));
  c.sirens.forEach((s, i) => {
    if (s.driver === 'lora' && typeof s.node === 'string' && !nodes.has(s.node))
      add(`sirens[${i}].node`, `unknown node "${s.node}"`);
    else if (s.driver === 'lora' && typeof s.node === 'string' && !loraNodeSet.has(s.node))
      add(`sirens[${i}].node`, `node "${s.node}" has no entry in lora.devices; the downlink needs its keys`);
  });

  const devAddrs = new Map<string, number>();
  const loraNodes = new Map<string, number>();
  c.lora?.devices.forEach((d, i) => {
    const node = str(d.node);
    if (node !== undefined && !nodes.has(node)) add(`lora.devices[${i}].node`, `unknown node "${node}"`);
    const addr = str(d.dev_addr)?.toLowerCase();
    const prev = addr === undefined ? undefined : devAddrs.get(addr);
    if (prev !== undefined)
      add(`lora.devices[${i}].dev_addr`, `duplicate dev_addr "${d.dev_addr}" (also lora.devices[${prev}])`);
    else if (addr !== undefined) devAddrs.set(addr, i);
    const prevNode = node === undefined ? undefined : loraNodes.get(node);
    if (prevNode !== undefined)
      add(`lora.devices[${i}].node`, `node "${node}" already has a LoRa device (lora.devices[${prevNode}])`);
    else if (node !== undefined) loraNodes.set(node, i);
    issues.push(...checkLoraActivation(d, `lora.devices[${i}]`));
  });
  const devEuis = new Map<string, number>();
  c.lora?.devices.forEach((d, i) => {
    const eui = str(d.dev_eui)?.toLowerCase();
    const prev = eui === undefined ? undefined : devEuis.get(eui);
    if (prev !== undefined)
      add(`lora.devices[${i}].dev_eui`, `duplicate dev_eui "${d.dev_eui}" (also lora.devices[${prev}])`);
    else if (eui !== undefined) devEuis.set(eui, i);
  });

  const ports = new Map<string, number>();
  c.serial.forEach((s, i) => {
    const port = str(s.port);
    if (port === undefined) return;
    const prev = ports.get(port);
    if (prev !== undefined) add(`serial[${i}].port`, `port "${port}" is listed twice (also serial[${prev}])`);
    else ports.set(port, i);
  });

  const usernames = new Set<string>();
  broker.users.forEach((u, i) => {
    const p = `local_broker.users[${i}]`;
    const username = str(u.username);
    if (username !== undefined && usernames.has(username))
      add(`${p}.username`, `duplicate username "${username}"`);
    if (username !== undefined) usernames.add(username);
    if (u.role === 'node') {
      if (!u.node) add(`${p}.node`, 'a node user must name its node');
      else if (typeof u.node === 'string' && !nodes.has(u.node)) add(`${p}.node`, `unknown node "${u.node}"`);
    }
    if (u.role === 'siren') {
      if (!u.siren) add(`${p}.siren`, 'a siren user must name its siren');
      else if (typeof u.siren === 'string' && !sirens.has(u.siren))
        add(`${p}.siren`, `unknown siren "${u.siren}"`);
    }
  });
  if (broker.enabled && broker.users.length === 0) {
    add('local_broker.users', 'the local broker admits no anonymous clients: add at least one user');
  }
  if (broker.enabled && !isLoopback(broker.host) && !broker.tls) {
    add('local_broker.tls', `binding to ${broker.host} beyond this machine needs TLS (cert_file, key_file)`);
  }
  issues.push(...checkNeighbourRefs(config));
  c.sirens.forEach((s, i) => {
    if (s.driver === 'mqtt' && !broker.enabled)
      add(`sirens[${i}].driver`, 'mqtt sirens need local_broker.enabled: true');
  });

  const keyIds = new Set<string>();
  c.commands.keys.forEach((k, i) => {
    const keyId = str(k.id);
    if (keyId !== undefined && keyIds.has(keyId))
      add(`commands.keys[${i}].id`, `duplicate key id "${keyId}"`);
    if (keyId !== undefined) keyIds.add(keyId);
    if (!k.secret && k.secret_file === undefined)
      add(`commands.keys[${i}].secret`, 'required (inline or as secret_file)');
  });

  issues.push(...checkAlertRefs(obj(obj(config).alerts), zones));

  const backoff = obj(c.uplink?.backoff);
  const minMs = typeof backoff.min_ms === 'number' ? backoff.min_ms : 1000;
  const maxMs = typeof backoff.max_ms === 'number' ? backoff.max_ms : 60_000;
  if (c.uplink && minMs > maxMs) {
    add('uplink.backoff.min_ms', 'must not exceed uplink.backoff.max_ms');
  }
  return issues;
}

/**
 * Alerts for people: every name a policy pages must reach someone, and every policy must be able
 * to match. A policy that pages nobody would look fine in the file and stay silent on the night.
 */
function checkAlertRefs(alerts: Obj, zones: Map<string, number>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const contacts = list(alerts.contacts);
  const ids = new Map<string, number>();
  const roles = new Set<string>();
  contacts.forEach((ct, i) => {
    const contactId = str(ct.id);
    const first = contactId === undefined ? undefined : ids.get(contactId);
    if (first !== undefined)
      add(`alerts.contacts[${i}].id`, `duplicate id "${contactId}" (also alerts.contacts[${first}])`);
    else if (contactId !== undefined) ids.set(contactId, i);
    for (const r of Array.isArray(ct.roles) ? ct.roles : []) if (typeof r === 'string') roles.add(r);
  });

  const policyZones = new Map<string, number>();
  list(alerts.policies).forEach((p, i) => {
    const at = `alerts.policies[${i}]`;
    const zone = str(p.zone);
    if (zone !== undefined && zone !== '*' && !zones.has(zone)) add(`${at}.zone`, `unknown zone "${zone}"`);
    const shadow = zone === undefined ? undefined : (policyZones.get(zone) ?? policyZones.get('*'));
    if (shadow !== undefined)
      add(`${at}.zone`, `never used: alerts.policies[${shadow}] already matches zone "${zone}"`);
    else if (zone !== undefined) policyZones.set(zone, i);
    let lastAfter = 0;
    list(p.steps).forEach((st, j) => {
      if (typeof st.after_min === 'number') {
        if (st.after_min < lastAfter)
          add(`${at}.steps[${j}].after_min`, `must not be before the step above it (${lastAfter} min)`);
        lastAfter = Math.max(lastAfter, st.after_min);
      }
      (Array.isArray(st.notify) ? st.notify : []).forEach((n: unknown, k) => {
        if (typeof n !== 'string') return;
        const path = `${at}.steps[${j}].notify[${k}]`;
        if (n.startsWith('role:')) {
          if (!roles.has(n.slice(5))) add(path, `no contact has role "${n.slice(5)}"`);
        } else if (!ids.has(n)) add(path, `unknown contact "${n}"`);
      });
    });
  });

  const er = obj(alerts.earthranger);
  if (er.enabled === true) {
    if (er.url === undefined) add('alerts.earthranger.url', 'required when earthranger is enabled');
    // A `_file` that could not be read is reported once, by the secret-file check.
    if (!er.token && er.token_file === undefined)
      add('alerts.earthranger.token', 'required (inline or as token_file) when earthranger is enabled');
  }
  const templates = obj(obj(alerts.sms).templates);
  for (const lang of ['id', 'en'] as const) {
    for (const [kind, text] of Object.entries(obj(templates[lang]))) {
      if (typeof text !== 'string' || !(SMS_KINDS as readonly string[]).includes(kind)) continue;
      for (const problem of templateProblems(text, kind as SmsKind))
        add(`alerts.sms.templates.${lang}.${kind}`, problem);
    }
  }
  if (alerts.enabled === true && contacts.length === 0)
    add('alerts.contacts', 'alerts are enabled but nobody is listed to be told');
  return issues;
}

/**
 * ABP (`dev_addr` + both session keys) or OTAA (`dev_eui` + `join_eui` + `app_key`), never a mix:
 * a device with both would be reachable under two addresses and its counters would disagree.
 */
function checkLoraActivation(d: Obj, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path: `${at}.${path}`, message });
  // A `_file` that could not be read is reported once, by the secret-file check.
  const has = (k: string) => Boolean(d[k]) || d[`${k}_file`] !== undefined;
  const otaa = d.dev_eui !== undefined || d.join_eui !== undefined || has('app_key');
  if (otaa) {
    if (d.dev_addr !== undefined)
      add(
        'dev_addr',
        'an OTAA device (dev_eui, join_eui, app_key) gets its DevAddr at each join; remove dev_addr',
      );
    if (d.dev_eui === undefined) add('dev_eui', 'required for OTAA (16 hex digits from the device label)');
    if (d.join_eui === undefined) add('join_eui', 'required for OTAA (16 hex digits, also called AppEUI)');
    if (!has('app_key')) add('app_key', 'required for OTAA (inline or as app_key_file)');
    for (const k of ['nwk_s_key', 'app_s_key'])
      if (has(k)) add(k, 'an OTAA device derives its session keys at each join; remove it');
    return issues;
  }
  if (d.dev_addr === undefined)
    add('dev_addr', 'required for ABP (or give dev_eui, join_eui and app_key for OTAA)');
  if (!has('nwk_s_key')) add('nwk_s_key', 'required (inline or as nwk_s_key_file)');
  if (!has('app_s_key')) add('app_s_key', 'required (inline or as app_s_key_file)');
  return issues;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
