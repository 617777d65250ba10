import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import { Encoding, isRgbxFormat, type PixelFormat } from '../constants.js';
import type { Framebuffer, Rect } from '../framebuffer.js';
import type { PaintQueue } from './paint-queue.js';
import { checkUpstreamPixelFormat, PixelReader } from './pixel-reader.js';
import { RECT_HEADER_BYTES, writeRectHeader } from './rect-header.js';
import type { EncodedRect, RectDecoder, RectEncoder, RectHeader } from './types.js';

/**
 * A Raw rectangle of at most this many bytes in the RGBX format is held (its paint put off,
 * paint-queue.ts) rather than drawn at once, with a copy of its pixels as its shape. 16 KiB: a
 * 64x64 cursor-sized block, and a tenth of the bytes PaintQueue.MAX_BYTES lets wait.
 *
 * Why: a Raw rectangle drawn at once runs every held paint up to the newest one it overlaps
 * (PaintQueue.settleOverlapping), and from then on the framebuffer counts as drawn into, so a
 * viewer's first picture can no longer be made from the held shapes (Framebuffer.heldShapes). One
 * small Raw rectangle among a text console's Tight updates (the benchmark's end-of-loop marker is
 * one, 32x2) then had every two-colour paint of the screen drawn, each page of the framebuffer
 * faulted in, and the whole screen scanned again to encode a viewer's first picture (BENCHMARKS.md,
 * "Small Raw rectangles held").
 */
export const RAW_HOLD_MAX_BYTES = 16 * 1024;

/**
 * Raw (§7.7.1): width*height PIXELs in the agreed pixel format, rows top to bottom.
 * Decoded a whole row at a time as rows arrive, so a large rectangle never has to sit in the input
 * queue whole (an 8K frame is 256 MiB raw); a small one in the RGBX format, when paints can be put
 * off, is held whole instead (RAW_HOLD_MAX_BYTES).
 */
export class RawDecoder implements RectDecoder {
  readonly #px: PixelReader;
  #row = 0;

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer, paints?: PaintQueue): boolean {
    const rowBytes = rect.width * this.#px.bytesPerPixel;
    if (rowBytes === 0 || rect.height === 0) return true;
    const total = rowBytes * rect.height;
    // Held only when it is here whole: one that comes in parts is drawn row by row as they come,
    // as ever, so the framebuffer between two reads is the same whichever way it is drawn.
    if (paints && this.#px.rgbx && this.#row === 0 && total <= RAW_HOLD_MAX_BYTES && q.length >= total) {
      // A copy, into the paint queue's memory: the input queue's chunk may be a whole socket read.
      const rgbx = paints.copy(q.consume(total));
      const { x, y, width, height } = rect;
      const shape = { x, y, width, height, rgbx };
      paints.defer(shape, () => fb.putRgbx(x, y, width, height, rgbx), total, shape, rgbx);
      return true;
    }
    while (this.#row < rect.height) {
      const rows = Math.min(rect.height - this.#row, Math.floor(q.length / rowBytes));
      if (rows === 0) return false;
      const data = q.consume(rows * rowBytes);
      this.#px.putPixels(fb, rect.x, rect.y + this.#row, rect.width, rows, data);
      this.#row += rows;
    }
    this.#row = 0;
    return true;
  }
}

/** Raw for viewers in our own format (what noVNC asks for): the framebuffer bytes as they are. */
export class RawEncoder implements RectEncoder {
  readonly encoding = Encoding.Raw;
  readonly shareable = true;

  encodeRect(fb: Framebuffer, rect: Rect): EncodedRect[] {
    const out = Buffer.allocUnsafe(RECT_HEADER_BYTES + rect.width * rect.height * 4);
    writeRectHeader(out, 0, rect, Encoding.Raw);
    const stride = fb.width * 4;
    const rowBytes = rect.width * 4;
    for (let row = 0; row < rect.height; row++) {
      const s = (rect.y + row) * stride + rect.x * 4;
      fb.data.copy(out, RECT_HEADER_BYTES + row * rowBytes, s, s + rowBytes);
    }
    return [out];
  }
}

/**
 * Throws RFB_ERR_PIXEL_FORMAT_UNSUPPORTED unless `pf` is a true-colour format we can convert to:
 * 8, 16 or 32 bits a pixel, each max of the form 2^n-1, and every channel inside the pixel.
 * (§7.4: colour-map formats are legal RFB, but no viewer we serve asks for one.)
 */
export function checkRawPixelFormat(pf: PixelFormat): void {
  if (!pf.trueColour) throw new RfbError('RFB_ERR_PIXEL_FORMAT_UNSUPPORTED', 'colour-map pixel formats are not supported', 'pixel-format');
  checkUpstreamPixelFormat(pf);
}

/** 256-entry table taking an 8-bit intensity to its value in a channel of `max`, rounded. */
function channelTable(max: number, shift: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let v = 0; v < 256; v++) t[v] = (Math.floor((v * max + 127) / 255) << shift) >>> 0;
  return t;
}

/**
 * One Raw rectangle (header + data) converted from the framebuffer's RGBX to the viewer's true-colour
 * pixel format `pf` (8/16/32 bpp, either byte order). Throws RFB_ERR_PIXEL_FORMAT_UNSUPPORTED for
 * formats checkRawPixelFormat refuses. For RGBX itself (either byte-order spelling of it: both put R
 * at byte 0) this is a plain copy.
 */
export function encodeRawRect(fb: Framebuffer, rect: Rect, pf: PixelFormat): Buffer {
  if (isRgbxFormat(pf)) return new RawEncoder().encodeRect(fb, rect)[0]!;
  checkRawPixelFormat(pf);
  const bpp = pf.bitsPerPixel / 8;
  const out = Buffer.allocUnsafe(RECT_HEADER_BYTES + rect.width * rect.height * bpp);
  writeRectHeader(out, 0, rect, Encoding.Raw);
  const rt = channelTable(pf.redMax, pf.redShift);
  const gt = channelTable(pf.greenMax, pf.greenShift);
  const bt = channelTable(pf.blueMax, pf.blueShift);
  const d = fb.data;
  const stride = fb.width * 4;
  let o = RECT_HEADER_BYTES;
  for (let row = 0; row < rect.height; row++) {
    let s = (rect.y + row) * stride + rect.x * 4;
    for (let col = 0; col < rect.width; col++, s += 4) {
      const v = (rt[d[s]!]! | gt[d[s + 1]!]! | bt[d[s + 2]!]!) >>> 0;
      if (bpp === 4) {
        if (pf.bigEndian) out.writeUInt32BE(v, o);
        else out.writeUInt32LE(v, o);
      } else if (bpp === 2) {
        if (pf.bigEndian) out.writeUInt16BE(v, o);
        else out.writeUInt16LE(v, o);
      } else {
        out[o] = v;
      }
      o += bpp;
    }
  }
  return out;
}
