/**
 * The seam between a LoRa siren driver (drivers/sirens/lora.ts) and the gateway's LoRaWAN network
 * (src/lora/network.ts): commands to one Class C node and its status uplinks.
 */

/** A command to a Class C node (a siren): sent at once on RX2, confirmed by the node's next uplink. */
export interface NodeCommand {
  fport: number;
  payload: Buffer;
  confirmed: boolean;
  ackTimeoutMs: number;
  /** Sends after the first that found no ACK or no forwarder willing. */
  retries: number;
}

/** How a command ended; a failure carries a machine reason and one sentence for the fault. */
export type CommandResult = { ok: true } | { ok: false; reason: string; message: string };

export interface LoraSirenLink {
  /** Never rejects. */
  command(node: string, cmd: NodeCommand): Promise<CommandResult>;
  /** The node has an address and a forwarder heard it: a command could go out now. */
  reachable(node: string): boolean;
  /** The node's uplinks on `fport` (its status); returns the function that unsubscribes. */
  onStatus(node: string, fport: number, listener: (payload: Buffer) => void): () => void;
}
