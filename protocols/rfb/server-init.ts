import type { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { PixelFormat } from './constants.js';
import { PIXEL_FORMAT_BYTES, readPixelFormat, writePixelFormat } from './pixel-format.js';
import { decodeDisplayString, peekLengthPrefixed } from './rfb-strings.js';

/** ServerInit (RFC 6143 §7.3.2): framebuffer size, the server's natural pixel format, desktop name. */
export interface ServerInitMessage {
  width: number;
  height: number;
  pixelFormat: PixelFormat;
  name: string;
}

/** width (2) + height (2) + PIXEL_FORMAT (16); name-length (U32) and the name follow. */
const FIXED_BYTES = 4 + PIXEL_FORMAT_BYTES;

/** Encodes ServerInit; the name is sent as UTF-8 (rfbproto "String Encodings" recommendation). */
export function encodeServerInit(init: ServerInitMessage): Buffer {
  const name = Buffer.from(init.name, 'utf8');
  const out = Buffer.alloc(FIXED_BYTES + 4 + name.length);
  out.writeUInt16BE(init.width, 0);
  out.writeUInt16BE(init.height, 2);
  writePixelFormat(out, 4, init.pixelFormat);
  out.writeUInt32BE(name.length, FIXED_BYTES);
  name.copy(out, FIXED_BYTES + 4);
  return out;
}

/**
 * Reads a whole ServerInit from `q`, or returns undefined (consuming nothing) until it is all there.
 * The framebuffer size must fit our Framebuffer (1..LIMITS.maxFramebufferWidth/Height, else
 * RFB_ERR_FRAMEBUFFER_SIZE) and the name LIMITS.maxNameBytes (RFB_ERR_TOO_LARGE), both checked
 * before we wait for the name.
 */
export function readServerInit(q: ByteQueue): ServerInitMessage | undefined {
  if (!q.has(FIXED_BYTES)) return undefined;
  const width = q.peekUint16BE(0);
  const height = q.peekUint16BE(2);
  if (width < 1 || height < 1 || width > LIMITS.maxFramebufferWidth || height > LIMITS.maxFramebufferHeight) {
    throw new RfbError(
      'RFB_ERR_FRAMEBUFFER_SIZE',
      `${width}x${height} is not a usable framebuffer size (1..${LIMITS.maxFramebufferWidth} x 1..${LIMITS.maxFramebufferHeight})`,
      'ServerInit.framebuffer-width/height',
    );
  }
  const pixelFormat = readPixelFormat(q.peek(FIXED_BYTES), 4, 'ServerInit.server-pixel-format');
  const name = peekLengthPrefixed(q, FIXED_BYTES, LIMITS.maxNameBytes, 'ServerInit.name-length');
  if (!name) return undefined;
  const result = { width, height, pixelFormat, name: decodeDisplayString(name.bytes) };
  q.skip(FIXED_BYTES + name.size);
  return result;
}
