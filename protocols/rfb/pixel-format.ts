import { RfbError } from '../errors.js';
import type { PixelFormat } from './constants.js';

/** PIXEL_FORMAT is 16 bytes on the wire (§7.4, ServerInit), the last 3 padding. */
export const PIXEL_FORMAT_BYTES = 16;

/** Writes `pf` at `offset` of `out` (16 bytes) and returns `out`. */
export function writePixelFormat(out: Buffer, offset: number, pf: PixelFormat): Buffer {
  out.writeUInt8(pf.bitsPerPixel, offset);
  out.writeUInt8(pf.depth, offset + 1);
  out.writeUInt8(pf.bigEndian ? 1 : 0, offset + 2);
  out.writeUInt8(pf.trueColour ? 1 : 0, offset + 3);
  out.writeUInt16BE(pf.redMax, offset + 4);
  out.writeUInt16BE(pf.greenMax, offset + 6);
  out.writeUInt16BE(pf.blueMax, offset + 8);
  out.writeUInt8(pf.redShift, offset + 10);
  out.writeUInt8(pf.greenShift, offset + 11);
  out.writeUInt8(pf.blueShift, offset + 12);
  out.fill(0, offset + 13, offset + 16);
  return out;
}

/**
 * Reads a PIXEL_FORMAT at `offset` of `b` (the caller has 16 bytes there). Flags are "non-zero is
 * true" (§7.4). bits-per-pixel "must be 8, 16 or 32"; anything else is RFB_ERR_BAD_PIXEL_FORMAT.
 * Depth and the colour fields are reported as sent: some servers send depth == bpp (§7.4 notes it),
 * and whether a format is usable is the caller's decision, not the parser's.
 */
export function readPixelFormat(b: Buffer, offset: number, field: string): PixelFormat {
  const bitsPerPixel = b[offset]!;
  if (bitsPerPixel !== 8 && bitsPerPixel !== 16 && bitsPerPixel !== 32) {
    throw new RfbError('RFB_ERR_BAD_PIXEL_FORMAT', `bits-per-pixel ${bitsPerPixel} is not 8, 16 or 32`, `${field}.bits-per-pixel`);
  }
  return {
    bitsPerPixel,
    depth: b[offset + 1]!,
    bigEndian: b[offset + 2] !== 0,
    trueColour: b[offset + 3] !== 0,
    redMax: b.readUInt16BE(offset + 4),
    greenMax: b.readUInt16BE(offset + 6),
    blueMax: b.readUInt16BE(offset + 8),
    redShift: b[offset + 10]!,
    greenShift: b[offset + 11]!,
    blueShift: b[offset + 12]!,
  };
}
