// Node-RED settings for the peer of issue 16's comparison: what a production install on a village
// gateway would run. `httpAdminRoot`/`httpNodeRoot: false` is headless (no editor, no admin API, no HTTP port): siaga's
// own status page is off in the compared config too, and a flow that is deployed once and left
// alone needs neither. Everything that would call out to the internet is off (the gateway has
// no reliable internet, and this machine none).
module.exports = {
  // The flow file and the userDir come from the command line (a fresh userDir per run).
  flowFilePretty: true,
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: false,
  telemetry: { enabled: false },
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
  externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
  functionExternalModules: false,
  functionTimeout: 0,
  // Lines on stdout like `… [info] [mqtt-broker:centre] Connected to broker: …`, as under systemd.
  logging: { console: { level: 'info', metrics: false, audit: false } },
  exportGlobalContextKeys: false,
  contextStorage: { default: { module: 'memory' } },
  // Reconnect as quickly as siaga does (its uplink backoff starts at 1 s).
  mqttReconnectTime: 1000,
  serialReconnectTime: 1000,
};
