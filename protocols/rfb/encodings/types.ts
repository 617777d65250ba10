import type { ByteQueue } from '../../byte-queue.js';
import type { Framebuffer, Rect } from '../framebuffer.js';
import type { PaintQueue } from './paint-queue.js';

/** The 12-byte rectangle header of a FramebufferUpdate (§7.6.1), already consumed from the stream. */
export interface RectHeader extends Rect {
  encoding: number;
}

/**
 * One decoder per encoding, one instance per connection (it keeps that connection's state, e.g.
 * Tight's four zlib streams or ZRLE's single stream).
 *
 * `decodeRect` is resumable in the noVNC way: it is called with the rectangle's header whenever more
 * bytes have arrived, and returns false (having consumed nothing it cannot pick up from again) until
 * the whole rectangle has been decoded into `fb`; then it returns true. Input split at any byte
 * boundary must decode exactly as whole input. Pixel data is in the connection's agreed pixel format,
 * read through the PixelReader the decoder was made with (RGBX_PIXEL_FORMAT unless told otherwise);
 * fb always holds RGBX. Malformed data throws RfbError naming the field.
 * The header has been bounds-checked against `fb` by the caller.
 *
 * `paints` (ServerMessageReaderOptions.deferPaints): the decoder may put off paints that cannot fail
 * (paint-queue.ts) instead of drawing them now. Nothing else is needed for order: any access to
 * `fb`'s pixels, a decoder's own included, runs what waits first (Framebuffer.holdPaints).
 */
export interface RectDecoder {
  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer, paints?: PaintQueue): boolean;
}

/** One encoded rectangle ready for the wire: the 12-byte header followed by its data. */
export type EncodedRect = Buffer;

/**
 * An encoder for what we send to viewers. Output is a list of complete rectangles (header + data),
 * because an encoding may need to split a large area (Tight: at most 2048 pixels wide, bounded data).
 * Encoders that keep no stream state across calls (Tight with stream resets, Raw) produce output any
 * number of viewers can share; `shareable` says so.
 */
export interface RectEncoder {
  readonly encoding: number;
  readonly shareable: boolean;
  encodeRect(fb: Framebuffer, rect: Rect): EncodedRect[];
}
