import type { GwmpServer } from '../../drivers/gwmp/server.js';
import type { LoraUplinkHandler } from '../codecs/lora-uplink.js';
import type { Config } from '../config/schema.js';
import type { LoraLink } from '../lora/link.js';
import type { LoraNetwork } from '../lora/network.js';
import { LoraSessionStore } from '../store/lora-sessions.js';
import { LoraStateStore } from '../store/lora-state.js';
import type { ListenerDeps } from './startup.js';
import type { Storage } from './storage.js';

export interface RadioDeps extends ListenerDeps {
  storage: Storage;
  /** The handle LoRa sirens were built with; the network is attached to it once GWMP listens. */
  loraLink?: LoraLink;
}

/** LoRa as the rest of the gateway sees it: GWMP datagrams in, readings out to ingest. */
export interface Radio {
  gwmp: GwmpServer | undefined;
  status(): {
    address: ReturnType<GwmpServer['address']>;
    gateways: ReturnType<GwmpServer['stats']>;
    radio_stats: ReturnType<LoraStateStore['stats']>;
  } | null;
  /** New devices and allowed gateways from a reload; the socket stays (its port needs a restart). */
  reconfigure(next: Config): void;
}

/**
 * GWMP datagrams → LoRaWAN checks (MIC, FCnt) → codec → ingest. FCnts are committed with their
 * readings, not one commit per uplink (SD wear, P2).
 */
export async function startRadio(config: Config, d: RadioDeps): Promise<Radio> {
  const loraState = new LoraStateStore(d.storage.db, d.storage.writer);
  const sessions = new LoraSessionStore(d.storage.db, d.storage.writer);
  d.storage.participants.push(loraState, sessions);
  const lora = config.lora;
  if (!lora) return { gwmp: undefined, status: () => null, reconfigure: () => {} };
  // The radio stack (and lora-packet's crypto) is loaded only on a gateway that has LoRa: the
  // memory of a Pi is better spent elsewhere (P6).
  const { LoraUplinkHandler } = await import('../codecs/lora-uplink.js');
  const { GwmpServer } = await import('../../drivers/gwmp/server.js');
  const { LoraNetwork } = await import('../lora/network.js');
  let gwmp: GwmpServer | undefined;
  const network: LoraNetwork = new LoraNetwork({
    lora,
    sessions,
    fcntUp: loraState,
    sendDownlink: (eui, txpk) =>
      gwmp ? gwmp.sendDownlink(eui, txpk) : Promise.resolve({ ok: false, error: 'stopped' }),
    clock: d.clock,
    log: d.log.child({ c: 'lora' }),
    // Apart from `lora`: those are refused frames, which `lora_rejected` reports to the centre.
    count: d.counters.scoped('lora_net'),
  });
  const makeHandler = (c: Config): LoraUplinkHandler =>
    new LoraUplinkHandler({
      devices: c.lora?.devices ?? [],
      network,
      dedupS: c.lora?.dedup_s ?? 10,
      fcnt: loraState,
      clock: d.clock,
      count: d.counters.scoped('lora'),
      onFrame: (frame, meta) =>
        d.ingest.acceptFrame(frame, {
          via: 'lora',
          from: meta.gatewayEui,
          radio: meta.radio,
          seqChecked: true,
        }),
    });
  let handler = makeHandler(config);
  const port = d.port ?? lora.gwmp.port;
  const server = new GwmpServer({
    host: lora.gwmp.host,
    port,
    maxDatagramBytes: lora.gwmp.max_datagram_bytes,
    clock: d.clock,
    log: d.log.child({ c: 'gwmp' }),
    count: d.counters.scoped('gwmp'),
    onPush: (eui, body, rxTs) => handler.handlePush(eui, body, rxTs),
    onStat: (eui, stat, ts) => loraState.recordStat(eui, stat, ts),
    gateways: lora.gateways,
  });
  gwmp = server;
  await d.rollback.listen(
    { proto: 'udp', key: 'lora.gwmp.port', port, host: lora.gwmp.host },
    () => server.start(),
    'gwmp',
    async () => {
      network.stop();
      d.loraLink?.attach(undefined);
      await server.stop();
    },
  );
  d.loraLink?.attach(network);
  return {
    gwmp: server,
    status: () => ({ address: server.address(), gateways: server.stats(), radio_stats: loraState.stats() }),
    reconfigure: (next) => {
      if (next.lora) network.reconfigure(next.lora);
      handler = makeHandler(next);
      server.setGateways(next.lora?.gateways);
    },
  };
}
