import type { PublishPacket } from 'aedes';

/** A packet's payload as a Buffer (aedes may hand over a string). */
export function payloadBuffer(packet: Pick<PublishPacket, 'payload'>): Buffer {
  return Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
}

/** A packet's payload size in bytes. */
export function payloadBytes(packet: Pick<PublishPacket, 'payload'>): number {
  return typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
}
