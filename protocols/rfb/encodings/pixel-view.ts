/** True on little-endian hosts: the first byte of the 32-bit word 1 is 1. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * A Uint32Array over RGBX bytes, so hot loops read a pixel with one load: on a little-endian host
 * element i is R | G << 8 | B << 16 | X << 24. Null when that does not hold (big-endian host) or the
 * buffer is not 4-byte aligned (pooled small Buffers may not be); callers then use byte reads.
 * The view shares memory with `buf`.
 */
export function rgbxWords(buf: Uint8Array): Uint32Array | null {
  if (!LITTLE_ENDIAN_HOST || buf.byteOffset % 4 !== 0 || buf.length % 4 !== 0) return null;
  return new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
}
