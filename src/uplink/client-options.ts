import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { UplinkConfig } from '../config/schema.js';
import { LowestFreeIds, SlotStore } from './inflight-slots.js';
import { OFFLINE_STATUS } from './payloads.js';

const MQTTJS_DEBUG = /mqttjs/.test(process.env.DEBUG ?? '');
const noLog = (): void => {};

/**
 * MQTT.js options for one connection attempt: our own reconnects (`reconnectPeriod: 0`), a clean
 * session, and a retained offline status as Last Will. Throws when a TLS file cannot be read.
 */
export function uplinkClientOptions(
  cfg: UplinkConfig,
  gatewayId: string,
  statusTopic: string,
  connectTimeoutMs: number,
): IClientOptions {
  return {
    clientId: cfg.client_id ?? `siaga-${gatewayId}`,
    protocolVersion: cfg.protocol_version,
    keepalive: cfg.keepalive_s,
    reconnectPeriod: 0,
    connectTimeout: connectTimeoutMs,
    clean: true,
    // mqtt-packet would otherwise build a Buffer for each of the 65,536 packet ids on the first
    // publish and keep them all: ~6 MB of heap for a few bytes' saving per packet (P6).
    writeCache: false,
    // MQTT.js logs ~10 lines per QoS 1 publish and its PUBACK through `debug`, whose disabled
    // call still builds an array of its arguments: 0.6 of the 10 KB each message cost in garbage.
    // Only a DEBUG naming mqttjs keeps its log.
    ...(MQTTJS_DEBUG ? {} : { log: noLog }),
    // A PUBACK would restart the keepalive timer (a timer cleared and a new one with its closure,
    // per message); pings every keepalive even on a busy link cost one packet a minute.
    reschedulePings: false,
    // Packet ids and unacknowledged publishes without garbage that outlives a moment (inflight-slots.ts).
    messageIdProvider: new LowestFreeIds(),
    outgoingStore: new SlotStore(),
    will: { topic: statusTopic, payload: Buffer.from(OFFLINE_STATUS), qos: 1, retain: true },
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    // Read on every connect, so a renewed certificate is picked up without a restart.
    ...(cfg.ca_file ? { ca: readFileSync(cfg.ca_file) } : {}),
    ...(cfg.cert_file ? { cert: readFileSync(cfg.cert_file) } : {}),
    ...(cfg.key_file ? { key: readFileSync(cfg.key_file) } : {}),
  };
}

/** `uplink.url` as the failover list it is: one URL is a list of one. */
export function uplinkUrls(cfg: Pick<UplinkConfig, 'url'>): readonly string[] {
  return typeof cfg.url === 'string' ? [cfg.url] : cfg.url;
}
