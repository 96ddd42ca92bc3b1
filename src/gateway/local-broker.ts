import type { LocalBroker } from '../broker/server.js';
import type { Config } from '../config/schema.js';
import type { ListenerDeps } from './startup.js';

/**
 * The local MQTT broker for Wi-Fi nodes (and mqtt sirens), when enabled. Loaded only then: a
 * gateway without Wi-Fi nodes does not pay aedes' memory.
 */
export async function startLocalBroker(config: Config, d: ListenerDeps): Promise<LocalBroker | undefined> {
  if (!config.local_broker.enabled) return undefined;
  const { LocalBroker } = await import('../broker/server.js');
  const port = d.port ?? config.local_broker.port;
  const broker = new LocalBroker({
    config: { ...config.local_broker, port },
    log: d.log.child({ c: 'broker' }),
    clock: d.clock,
    count: d.counters.scoped('broker'),
    onNodePayload: (node, payload) => d.ingest.acceptNodePayload(node, payload),
  });
  await d.rollback.listen(
    { proto: 'tcp', key: 'local_broker.port', port, host: config.local_broker.host },
    () => broker.start(),
    'local broker',
    () => broker.stop(),
  );
  return broker;
}
