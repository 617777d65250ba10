import type { ByteQueue } from '../../byte-queue.js';
import type { Framebuffer } from '../framebuffer.js';
import type { RectDecoder, RectHeader } from './types.js';

/**
 * CopyRect (§7.7.2): src-x-position, src-y-position (U16 each); the caller checked the destination,
 * we check the source, which comes off the wire too (RFB_ERR_RECT_OUT_OF_BOUNDS, field copyrect.src).
 */
export class CopyRectDecoder implements RectDecoder {
  decodeRect(q: ByteQueue, rect: RectHeader, fb: Framebuffer): boolean {
    if (!q.has(4)) return false;
    const srcX = q.peekUint16BE(0);
    const srcY = q.peekUint16BE(2);
    fb.checkRect(srcX, srcY, rect.width, rect.height, 'copyrect.src');
    q.skip(4);
    fb.copyRect(srcX, srcY, rect.x, rect.y, rect.width, rect.height);
    return true;
  }
}
