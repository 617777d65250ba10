import { Encoding } from '../constants.js';
import { CopyRectDecoder } from './copy-rect.js';
import { HextileDecoder } from './hextile.js';
import { PixelReader } from './pixel-reader.js';
import { RawDecoder } from './raw.js';
import { RREDecoder } from './rre.js';
import { TightDecoder } from './tight.js';
import type { RectDecoder } from './types.js';
import { ZlibDecoder } from './zlib.js';
import { ZrleDecoder } from './zrle.js';

export { CopyRectDecoder } from './copy-rect.js';
export { HextileDecoder } from './hextile.js';
export { Deflater, deflateFresh } from './deflater.js';
export { Inflater } from './inflater.js';
export { PaintQueue } from './paint-queue.js';
export { checkUpstreamPixelFormat, PixelReader, upstreamPixelFormat, type ColourMapEntry } from './pixel-reader.js';
export { RawDecoder, RawEncoder, encodeRawRect, checkRawPixelFormat } from './raw.js';
export { RECT_HEADER_BYTES, writeRectHeader } from './rect-header.js';
export { RREDecoder } from './rre.js';
export { TightDecoder, TightEncoder, type TightEncoderOptions } from './tight.js';
export type { EncodedRect, RectDecoder, RectEncoder, RectHeader } from './types.js';
export { ZlibDecoder } from './zlib.js';
export { ZrleDecoder } from './zrle.js';
export { ZrleEncoder, type ZrleEncoderOptions } from './zrle-encoder.js';

/**
 * The rectangle encodings we ask upstream servers for, most preferred first (the caller appends
 * pseudo-encodings). Why this order:
 * - Tight first (lossless: we never send quality levels, so conforming servers send no JPEG; the
 *   decoder still takes JPEG, which obmc-ikvm sends regardless): its updates can be relayed to a
 *   viewer as they come (src/viewer/relay.ts), and on text consoles it is also the smaller one. The
 *   same typing through the gateway, upstream bytes: QEMU busybox 48,206 and 73,410 (Tight) against
 *   79,931 and 89,964 (ZRLE) in two rounds; TigerVNC xterm 2,001 and 933 against 2,339 and 900.
 *   It is also the preferred encoding of libvncserver-based BMC firmwares.
 * - ZRLE next: lossless, one zlib stream, 64x64 tiles with palette/RLE, for servers without Tight
 *   (it cannot be relayed: its one stream's data are tiles, so a viewer's stream cannot be primed).
 * - Hextile: the best choice without zlib, for old servers that have neither ZRLE nor Tight.
 * - Zlib, RRE: rarely better, but some embedded servers offer only these.
 * - CopyRect: only ever used for scrolling/moves, where it is unbeatable; its place in the list
 *   does not matter to servers that support it (they use it when it applies).
 * - Raw: last, the mandatory fallback (§7.7.1 says every client must support it).
 */
export const UPSTREAM_ENCODINGS: readonly number[] = Object.freeze([
  Encoding.Tight,
  Encoding.ZRLE,
  Encoding.Hextile,
  Encoding.Zlib,
  Encoding.RRE,
  Encoding.CopyRect,
  Encoding.Raw,
]);

/**
 * Fresh decoders for one upstream connection, keyed by encoding number, all reading pixels through
 * `pixels` (the connection's agreed pixel format; default our own RGBX).
 */
export function createDecoders(pixels: PixelReader = new PixelReader()): Map<number, RectDecoder> {
  return new Map<number, RectDecoder>([
    [Encoding.Raw, new RawDecoder(pixels)],
    [Encoding.CopyRect, new CopyRectDecoder()],
    [Encoding.RRE, new RREDecoder(pixels)],
    [Encoding.Hextile, new HextileDecoder(pixels)],
    [Encoding.Zlib, new ZlibDecoder(pixels)],
    [Encoding.Tight, new TightDecoder(pixels)],
    [Encoding.ZRLE, new ZrleDecoder(pixels)],
  ]);
}
