import type { Rect } from '../framebuffer.js';

/** Size of a FramebufferUpdate rectangle header (§7.6.1): x, y, width, height (U16 each), encoding (S32). */
export const RECT_HEADER_BYTES = 12;

/** Writes a rectangle header at `offset` of `out` (big-endian, as all RFB numbers). */
export function writeRectHeader(out: Buffer, offset: number, rect: Rect, encoding: number): void {
  // Byte stores rather than Buffer's checked writeUInt16BE/writeInt32BE: this runs for every encoded
  // rectangle, and the checked writers were 4 % of an encode profile (bench/encode-work.ts, --cpu-prof).
  // Values are the framebuffer's own (u16) and our encoding constants, so nothing needs checking.
  const { x, y, width, height } = rect;
  out[offset] = x >>> 8;
  out[offset + 1] = x;
  out[offset + 2] = y >>> 8;
  out[offset + 3] = y;
  out[offset + 4] = width >>> 8;
  out[offset + 5] = width;
  out[offset + 6] = height >>> 8;
  out[offset + 7] = height;
  out[offset + 8] = encoding >>> 24;
  out[offset + 9] = encoding >>> 16;
  out[offset + 10] = encoding >>> 8;
  out[offset + 11] = encoding;
}
