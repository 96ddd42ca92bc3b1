import { createRequire } from 'node:module';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IClientOptions, MqttClient } from 'mqtt';

// `mqtt.connect` loads every transport MQTT.js has (WebSocket with ws, SOCKS with socks and
// ip-address, the browser shims): ~40 modules and ~3 MB of RSS that a gateway speaking mqtt:// or
// mqtts:// never uses (P6). The client class alone, with our own socket, is all the uplink needs.
const require = createRequire(import.meta.url);
type ClientClass = new (
  streamBuilder: (client: MqttClient) => net.Socket,
  options: IClientOptions,
) => MqttClient;

let loadedClient: ClientClass | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads MQTT.js's client class ahead of `connectClient`, as its own chunk of the run bundle
 * (scripts/bundle.mjs: minified, ~40 ms less than from node_modules file by file, and less source
 * for V8 to keep). The gateway calls it at start when its config has an uplink, so a gateway
 * without one never loads MQTT.js; a client made before (a test, a link added by a reload) is built
 * from node_modules instead.
 */
export function loadMqttClient(): Promise<void> {
  loading ??= import('mqtt/lib/client').then((m) => {
    // Node hands an ES module the CommonJS exports object as `default`, which holds the class.
    const mod = m as unknown as { default: ClientClass | { default: ClientClass } };
    loadedClient = typeof mod.default === 'function' ? mod.default : mod.default.default;
  });
  return loading;
}

function clientClass(): ClientClass {
  return loadedClient ?? (require('mqtt/lib/client') as { default: ClientClass }).default;
}

const PLAIN = new Set(['mqtt:', 'tcp:']);
const SECURE = new Set(['mqtts:', 'ssl:', 'tls:']);

/**
 * Drop-in for `mqtt.connect(url, opts)` for mqtt:// and mqtts:// URLs, without loading MQTT.js's
 * other transports. Anything else (ws://, wss://, a SOCKS proxy from MQTTJS_SOCKS_PROXY, a query
 * string) goes to `mqtt.connect` itself, loaded only then, so no URL MQTT.js accepts stops working.
 */
export function connectClient(url: string, opts: IClientOptions): MqttClient {
  const parsed = new URL(url);
  const secure =
    SECURE.has(parsed.protocol) ||
    (PLAIN.has(parsed.protocol) && opts.cert !== undefined && opts.key !== undefined);
  const ours =
    (PLAIN.has(parsed.protocol) || SECURE.has(parsed.protocol)) &&
    parsed.search === '' &&
    !process.env.MQTTJS_SOCKS_PROXY &&
    opts.socksProxy === undefined;
  if (!ours) {
    const mqtt = require('mqtt') as typeof import('mqtt');
    return mqtt.connect(url, opts);
  }

  // Brackets of an IPv6 literal are URL syntax, not part of the address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = parsed.port ? Number(parsed.port) : secure ? 8883 : 1883;
  const options: IClientOptions = { ...opts, host, port, protocol: secure ? 'mqtts' : 'mqtt' };
  // Credentials in the URL, as MQTT.js reads them; explicit options win.
  if (parsed.username && options.username === undefined) {
    options.username = decodeURIComponent(parsed.username);
    if (parsed.password && options.password === undefined) {
      options.password = decodeURIComponent(parsed.password);
    }
  }
  if (options.clean === false && !options.clientId) {
    throw new Error('Missing clientId for unclean clients');
  }

  const Client = clientClass();
  return new Client(
    (client) => (secure ? tlsStream(client, host, port, opts) : net.createConnection({ host, port })),
    options,
  );
}

function tlsStream(client: MqttClient, host: string, port: number, opts: IClientOptions): TLSSocket {
  // Loaded here, not with the module: node:tls brings node:crypto, ~0.9 MB resident for the
  // gateway's life, and most village gateways speak mqtt:// to a centre on their own VPN.
  const tls = require('node:tls') as typeof import('node:tls');
  const rejectUnauthorized = opts.rejectUnauthorized !== false;
  const socket = tls.connect({
    host,
    port,
    // SNI must not carry an IP address (RFC 6066); the certificate check still uses `host`.
    ...(net.isIP(host) === 0 ? { servername: opts.servername ?? host } : {}),
    rejectUnauthorized,
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
  });
  // As MQTT.js's own TLS transport: a handshake failure (unknown CA, wrong host name) reaches the
  // client's 'error' listeners with its code, so the uplink can say why it is not connected.
  const onError = (err: Error): void => {
    if (rejectUnauthorized) client.emit('error', err);
    socket.end();
  };
  socket.on('secureConnect', () => {
    if (rejectUnauthorized && !socket.authorized) socket.emit('error', new Error('TLS not authorized'));
    else socket.removeListener('error', onError);
  });
  socket.on('error', onError);
  return socket;
}
