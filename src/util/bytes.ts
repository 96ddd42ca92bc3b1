/**
 * A DataView over exactly the bytes of `b` (a Buffer may sit inside a larger pooled ArrayBuffer).
 * Its reads throw a RangeError past the end instead of yielding `undefined`, and say the width and
 * byte order the wire format has.
 */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
