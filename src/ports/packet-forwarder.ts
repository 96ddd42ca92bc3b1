/**
 * The seam between the gateway and the Semtech UDP packet forwarder server (drivers/gwmp): what
 * the composition root, status and (later) LoRa downlinks rely on, whatever implements it.
 */

/** Downlink outcome: TX_ACK `NONE` (or an empty TX_ACK) is success; anything else is typed. */
export type TxAckResult =
  | { ok: true; warn?: string }
  | {
      ok: false;
      /** The forwarder's `txpk_ack.error` (TOO_LATE, TOO_EARLY, COLLISION_PACKET, COLLISION_BEACON,
       * TX_FREQ, TX_POWER, GPS_UNLOCKED…), or ours: `timeout`, `no_route`, `send_failed`, `stopped`. */
      error: string;
    };

/** Per-gateway traffic seen by this process (since start). */
export interface GatewayTraffic {
  gatewayEui: string;
  pushData: number;
  pullData: number;
  rxpk: number;
  downlinks: number;
  txAckOk: number;
  txAckError: number;
  lastSeen: number;
  /** Where its PULL_DATA came from: downlinks go there. */
  pullAddress?: string;
  pullPort?: number;
}

/** The packet forwarder server as the gateway sees it. */
export interface PacketForwarderServer {
  /** Binds the UDP port; rejects when it cannot (the port in use, no permission). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where it listens (the real port when 0 was asked for). */
  address(): { host: string; port: number };
  /** Traffic per forwarder heard, for status. */
  stats(): GatewayTraffic[];
  /** `lora.gateways` after a reload: the only forwarder EUIs served (absent: the first few heard). */
  setGateways(list: readonly string[] | undefined): void;
}
