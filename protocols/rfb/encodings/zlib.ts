import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import { compressedLengthLimit } from './compressed-length.js';
import { Inflater } from './inflater.js';
import { PixelReader } from './pixel-reader.js';
import type { RectDecoder, RectHeader } from './types.js';

/**
 * Zlib (encoding 6; rfbproto's "Zlib Encoding" section, not in RFC 6143): a U32 length, then that
 * many bytes of one zlib stream that lasts the whole connection; inflated they are the rectangle in
 * Raw form. Decoded once all its compressed bytes are buffered (their length is bounded first).
 */
export class ZlibDecoder implements RectDecoder {
  readonly #inflater = new Inflater();
  readonly #px: PixelReader;

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    if (!q.has(4)) return false;
    const expected = rect.width * rect.height * this.#px.bytesPerPixel;
    const length = q.peekUint32BE(0);
    const limit = compressedLengthLimit(expected);
    if (length > limit) {
      throw new RfbError('RFB_ERR_COMPRESSED_LENGTH', `${length} compressed bytes for ${expected} bytes of pixels (limit ${limit})`, 'zlib.length');
    }
    if (!q.has(4 + length)) return false;
    q.skip(4);
    const pixels = this.#inflater.inflate(q.consume(length), expected, 'zlib.data');
    if (pixels.length !== expected) {
      throw new RfbError('RFB_ERR_ZLIB_TRUNCATED', `compressed data inflated to ${pixels.length} of ${expected} bytes`, 'zlib.data');
    }
    this.#px.putPixels(fb, rect.x, rect.y, rect.width, rect.height, pixels);
    return true;
  }
}
