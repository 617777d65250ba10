import type { ByteQueue } from '../../byte-queue.js';
import { RfbError } from '../../errors.js';
import type { Framebuffer } from '../framebuffer.js';
import type { RectDecoder, RectHeader } from './types.js';

const HEADER_BYTES = 8; // number-of-subrectangles (U32) + background-pixel
const SUBRECT_BYTES = 12; // subrect-pixel + x, y, width, height (U16 each)

/**
 * RRE (§7.7.3): a background pixel for the whole rectangle, then subrectangles of one colour each.
 * Subrectangles are drawn as they arrive; the count still to come is the only state kept.
 */
export class RREDecoder implements RectDecoder {
  /** Subrectangles still to read, or -1 before the header. */
  #remaining = -1;

  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    if (this.#remaining < 0) {
      if (!q.has(HEADER_BYTES)) return false;
      const count = q.peekUint32BE(0);
      // Each subrectangle covers at least one pixel of the rectangle, so more than width*height is
      // not a picture but a way to make us wait for (up to 48 GiB of) bytes.
      if (count > rect.width * rect.height) {
        throw new RfbError('RFB_ERR_RRE_SUBRECT_COUNT', `${count} subrectangles in a ${rect.width}x${rect.height} rectangle`, 'rre.number-of-subrectangles');
      }
      const h = q.consume(HEADER_BYTES);
      fb.fillRect(rect.x, rect.y, rect.width, rect.height, h[4]!, h[5]!, h[6]!);
      this.#remaining = count;
    }
    while (this.#remaining > 0) {
      if (!q.has(SUBRECT_BYTES)) return false;
      const s = q.peek(SUBRECT_BYTES);
      const x = s.readUInt16BE(4);
      const y = s.readUInt16BE(6);
      const w = s.readUInt16BE(8);
      const h = s.readUInt16BE(10);
      if (x + w > rect.width || y + h > rect.height) {
        throw new RfbError('RFB_ERR_RRE_SUBRECT_BOUNDS', `subrectangle ${w}x${h}+${x}+${y} outside the ${rect.width}x${rect.height} rectangle`, 'rre.subrectangle');
      }
      fb.fillRect(rect.x + x, rect.y + y, w, h, s[0]!, s[1]!, s[2]!);
      q.skip(SUBRECT_BYTES);
      this.#remaining--;
    }
    this.#remaining = -1;
    return true;
  }
}
