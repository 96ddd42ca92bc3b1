import type { CommandResult, LoraSirenLink, NodeCommand } from '../ports/lora-link.js';
import type { LoraNetwork } from './network.js';

type StatusListener = (payload: Buffer) => void;

/**
 * What a LoRa siren driver holds: the sirens are built (and switched OFF) before the radio starts,
 * so they get this handle, and the radio attaches the network to it once its socket listens.
 * Until then a command fails with a reason, never silently.
 */
export class LoraLink implements LoraSirenLink {
  private net: LoraNetwork | undefined;
  private readonly listeners = new Map<
    string,
    { fport: number; listener: StatusListener; off?: () => void }
  >();

  attach(net: LoraNetwork | undefined): void {
    for (const l of this.listeners.values()) l.off?.();
    this.net = net;
    if (net === undefined) return;
    for (const [node, l] of this.listeners) l.off = net.onStatus(node, l.fport, l.listener);
  }

  command(node: string, cmd: NodeCommand): Promise<CommandResult> {
    if (this.net === undefined) {
      return Promise.resolve({
        ok: false,
        reason: 'no_radio',
        message: 'the LoRa radio is not running (lora section missing or GWMP not started)',
      });
    }
    return this.net.command(node, cmd);
  }

  /** Whether the node can be reached now: it has an address and a forwarder heard it. */
  reachable(node: string): boolean {
    return this.net?.reachable(node) ?? false;
  }

  onStatus(node: string, fport: number, listener: StatusListener): () => void {
    const entry: { fport: number; listener: StatusListener; off?: () => void } = { fport, listener };
    if (this.net) entry.off = this.net.onStatus(node, fport, listener);
    this.listeners.set(node, entry);
    return () => {
      entry.off?.();
      if (this.listeners.get(node) === entry) this.listeners.delete(node);
    };
  }
}
