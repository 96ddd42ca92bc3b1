import type { ConfigIssue } from '../domain/index.js';
import type { Config } from './schema.js';

/**
 * Cross-reference checks the schema cannot express: every id unique, node → zone, zone → siren,
 * lora device → node, broker user → node/siren, role bindings. Each problem names its path.
 */
export function checkRefs(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  const unique = (items: { id: string }[], section: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.id);
      if (first !== undefined)
        add(`${section}[${i}].id`, `duplicate id "${item.id}" (also ${section}[${first}])`);
      else seen.set(item.id, i);
    });
    return seen;
  };

  const zones = unique(c.zones, 'zones');
  const sirens = unique(c.sirens, 'sirens');
  const nodes = unique(c.nodes, 'nodes');

  c.nodes.forEach((n, i) => {
    if (!zones.has(n.zone)) add(`nodes[${i}].zone`, `unknown zone "${n.zone}"`);
  });

  const sirenZone = new Map<string, string>();
  c.zones.forEach((z, i) => {
    z.sirens.forEach((s, j) => {
      if (!sirens.has(s)) add(`zones[${i}].sirens[${j}]`, `unknown siren "${s}"`);
      const other = sirenZone.get(s);
      if (other !== undefined && other !== z.id)
        add(`zones[${i}].sirens[${j}]`, `siren "${s}" already belongs to zone "${other}"`);
      sirenZone.set(s, z.id);
    });
  });

  c.sirens.forEach((s, i) => {
    if (s.driver === 'lora' && !nodes.has(s.node)) add(`sirens[${i}].node`, `unknown node "${s.node}"`);
    // The file format is settled; the downlink driver behind it is not built yet.
    if (s.driver === 'lora') {
      add(`sirens[${i}].driver`, 'lora sirens are not available yet; use relay, gpio, mqtt or command');
    }
  });

  const devAddrs = new Map<string, number>();
  const loraNodes = new Map<string, number>();
  c.lora?.devices.forEach((d, i) => {
    if (!nodes.has(d.node)) add(`lora.devices[${i}].node`, `unknown node "${d.node}"`);
    const addr = d.dev_addr.toLowerCase();
    const prev = devAddrs.get(addr);
    if (prev !== undefined)
      add(`lora.devices[${i}].dev_addr`, `duplicate dev_addr "${d.dev_addr}" (also lora.devices[${prev}])`);
    else devAddrs.set(addr, i);
    const prevNode = loraNodes.get(d.node);
    if (prevNode !== undefined)
      add(
        `lora.devices[${i}].node`,
        `node "${d.node}" already has a LoRa device (lora.devices[${prevNode}])`,
      );
    else loraNodes.set(d.node, i);
    if (!d.nwk_s_key) add(`lora.devices[${i}].nwk_s_key`, 'required (inline or as nwk_s_key_file)');
    if (!d.app_s_key) add(`lora.devices[${i}].app_s_key`, 'required (inline or as app_s_key_file)');
  });

  const ports = new Map<string, number>();
  c.serial.forEach((s, i) => {
    const prev = ports.get(s.port);
    if (prev !== undefined)
      add(`serial[${i}].port`, `port "${s.port}" is listed twice (also serial[${prev}])`);
    else ports.set(s.port, i);
  });

  const usernames = new Set<string>();
  c.local_broker.users.forEach((u, i) => {
    const p = `local_broker.users[${i}]`;
    if (usernames.has(u.username)) add(`${p}.username`, `duplicate username "${u.username}"`);
    usernames.add(u.username);
    if (u.role === 'node') {
      if (!u.node) add(`${p}.node`, 'a node user must name its node');
      else if (!nodes.has(u.node)) add(`${p}.node`, `unknown node "${u.node}"`);
    }
    if (u.role === 'siren') {
      if (!u.siren) add(`${p}.siren`, 'a siren user must name its siren');
      else if (!sirens.has(u.siren)) add(`${p}.siren`, `unknown siren "${u.siren}"`);
    }
  });
  if (c.local_broker.enabled && c.local_broker.users.length === 0) {
    add('local_broker.users', 'the local broker admits no anonymous clients: add at least one user');
  }
  if (c.local_broker.enabled && !isLoopback(c.local_broker.host) && !c.local_broker.tls) {
    add(
      'local_broker.tls',
      `binding to ${c.local_broker.host} beyond this machine needs TLS (cert_file, key_file)`,
    );
  }
  c.sirens.forEach((s, i) => {
    if (s.driver === 'mqtt' && !c.local_broker.enabled)
      add(`sirens[${i}].driver`, 'mqtt sirens need local_broker.enabled: true');
  });

  const keyIds = new Set<string>();
  c.commands.keys.forEach((k, i) => {
    if (keyIds.has(k.id)) add(`commands.keys[${i}].id`, `duplicate key id "${k.id}"`);
    keyIds.add(k.id);
    if (!k.secret) add(`commands.keys[${i}].secret`, 'required (inline or as secret_file)');
  });

  if (c.uplink && c.uplink.backoff.min_ms > c.uplink.backoff.max_ms) {
    add('uplink.backoff.min_ms', 'must not exceed uplink.backoff.max_ms');
  }
  return issues;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
