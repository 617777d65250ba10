import type { Rect } from '../framebuffer.js';

/** Size of a FramebufferUpdate rectangle header (§7.6.1): x, y, width, height (U16 each), encoding (S32). */
export const RECT_HEADER_BYTES = 12;

/** Writes a rectangle header at `offset` of `out` (big-endian, as all RFB numbers). */
export function writeRectHeader(out: Buffer, offset: number, rect: Rect, encoding: number): void {
  out.writeUInt16BE(rect.x, offset);
  out.writeUInt16BE(rect.y, offset + 2);
  out.writeUInt16BE(rect.width, offset + 4);
  out.writeUInt16BE(rect.height, offset + 6);
  out.writeInt32BE(encoding, offset + 8);
}
