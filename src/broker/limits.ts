/**
 * aedes's own CONNECT deadline, a backstop only: connections.ts closes a socket that has not begun
 * to log in after `local_broker.connect_timeout_s` (at most 10 s), counting it like a failed login.
 */
export const CONNECT_TIMEOUT_MS = 15_000;
/** Logins of one address whose password is checked at the same time; more wait their turn. */
export const LOGINS_PER_ADDRESS = 2;
/** Room for topic, ids and credentials on top of the payload limit, for the frame-size guard. */
export const FRAME_OVERHEAD_BYTES = 2048;

/** The peer address as rate limiting keys it: IPv4-mapped IPv6 as plain IPv4. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * Counts MQTT packet lengths in the bytes a client sends (fixed header + remaining length only),
 * so a huge packet is cut off before mqtt-packet buffers it whole. Returns false past `limit`.
 */
export class FrameSizeGuard {
  private state: 'type' | 'length' | 'body' = 'type';
  private length = 0;
  private multiplier = 1;
  private remaining = 0;

  constructor(private readonly limit: number) {}

  accept(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.state = 'type';
      } else if (this.state === 'type') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        i++;
      } else {
        const byte = chunk.readUInt8(i++);
        this.length += (byte & 0x7f) * this.multiplier;
        if (this.length > this.limit) return false;
        if (byte & 0x80) {
          this.multiplier *= 128;
          if (this.multiplier > 128 ** 3) return false; // more than 4 length bytes: malformed
        } else {
          this.remaining = this.length;
          this.state = this.remaining === 0 ? 'type' : 'body';
        }
      }
    }
    return true;
  }
}
