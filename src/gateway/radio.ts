import type { GwmpServer } from '../../drivers/gwmp/server.js';
import type { LoraUplinkHandler } from '../codecs/lora-uplink.js';
import type { Config } from '../config/schema.js';
import { LoraStateStore } from '../store/lora-state.js';
import type { ListenerDeps } from './startup.js';
import type { Storage } from './storage.js';

export interface RadioDeps extends ListenerDeps {
  storage: Storage;
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
  d.storage.participants.push(loraState);
  const lora = config.lora;
  if (!lora) return { gwmp: undefined, status: () => null, reconfigure: () => {} };
  // The radio stack (and lora-packet's crypto) is loaded only on a gateway that has LoRa: the
  // memory of a Pi is better spent elsewhere (P6).
  const { LoraUplinkHandler } = await import('../codecs/lora-uplink.js');
  const { GwmpServer } = await import('../../drivers/gwmp/server.js');
  const makeHandler = (c: Config): LoraUplinkHandler =>
    new LoraUplinkHandler({
      devices: c.lora?.devices ?? [],
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
  const gwmp = new GwmpServer({
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
  await d.rollback.listen(
    { proto: 'udp', key: 'lora.gwmp.port', port, host: lora.gwmp.host },
    () => gwmp.start(),
    'gwmp',
    () => gwmp.stop(),
  );
  return {
    gwmp,
    status: () => ({ address: gwmp.address(), gateways: gwmp.stats(), radio_stats: loraState.stats() }),
    reconfigure: (next) => {
      handler = makeHandler(next);
      gwmp.setGateways(next.lora?.gateways);
    },
  };
}
