import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import { fillWord, PixelReader } from './pixel-reader.js';
import type { RectDecoder, RectHeader } from './types.js';

/**
 * RRE (§7.7.3): a background pixel for the whole rectangle, then subrectangles of one colour each.
 * Subrectangles are drawn as they arrive; the count still to come is the only state kept.
 */
export class RREDecoder implements RectDecoder {
  readonly #px: PixelReader;
  /** Subrectangles still to read, or -1 before the header. */
  #remaining = -1;

  constructor(pixels: PixelReader = new PixelReader()) {
    this.#px = pixels;
  }

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    const px = this.#px;
    // number-of-subrectangles (U32) + background-pixel; each subrectangle: subrect-pixel + x, y, w, h (U16 each).
    const headerBytes = 4 + px.bytesPerPixel;
    const subrectBytes = px.bytesPerPixel + 8;
    const at = px.bytesPerPixel;
    if (this.#remaining < 0) {
      if (!q.has(headerBytes)) return false;
      const count = q.peekUint32BE(0);
      // Each subrectangle covers at least one pixel of the rectangle, so more than width*height is
      // not a picture but a way to make us wait for (up to 48 GiB of) bytes.
      if (count > rect.width * rect.height) {
        throw new RfbError('RFB_ERR_RRE_SUBRECT_COUNT', `${count} subrectangles in a ${rect.width}x${rect.height} rectangle`, 'rre.number-of-subrectangles');
      }
      const h = q.consume(headerBytes);
      fillWord(fb, rect.x, rect.y, rect.width, rect.height, px.pixel(h, 4));
      this.#remaining = count;
    }
    while (this.#remaining > 0) {
      if (!q.has(subrectBytes)) return false;
      const s = q.peek(subrectBytes);
      const x = s.readUInt16BE(at);
      const y = s.readUInt16BE(at + 2);
      const w = s.readUInt16BE(at + 4);
      const h = s.readUInt16BE(at + 6);
      if (x + w > rect.width || y + h > rect.height) {
        throw new RfbError(
          'RFB_ERR_RRE_SUBRECT_BOUNDS',
          `subrectangle ${w}x${h}+${x}+${y} outside the ${rect.width}x${rect.height} rectangle`,
          'rre.subrectangle',
        );
      }
      fillWord(fb, rect.x + x, rect.y + y, w, h, px.pixel(s, 0));
      q.skip(subrectBytes);
      this.#remaining--;
    }
    this.#remaining = -1;
    return true;
  }
}
