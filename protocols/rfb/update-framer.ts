import { ByteQueue } from '../byte-queue.js';
import { ProtocolError } from '../errors.js';
import { Encoding, ServerMessageType } from './constants.js';
import { RECT_HEADER_BYTES } from './encodings/rect-header.js';
import { TIGHT_FILL, TIGHT_JPEG, tightLayout } from './encodings/tight.js';
import { SCREEN_BYTES } from './screen-layout.js';
import { cursorDataBytes } from './server-message-reader.js';

/** What one Tight rectangle does to the connection's four zlib streams. */
export interface TightStreamOp {
  /** Streams it resets first (bit i: stream i; compression control bits 0-3). */
  reset: number;
  /** The stream its zlib data is in, or -1 (fill, JPEG, data under 12 bytes: no zlib). */
  stream: number;
}

/** One FramebufferUpdate found whole in a buffer, described without decoding it (see frameUpdate). */
export interface FramedUpdate {
  /** Bytes of the message: its 4-byte header through its last rectangle (or LastRect). */
  length: number;
  /** number-of-rectangles as sent (65535: until LastRect, which is then included in `length`). */
  count: number;
  /**
   * Only Raw, CopyRect, Tight and LastRect rectangles, inside the framebuffer: what a viewer can be
   * sent as it is. (Pseudo-rectangles such as Cursor or DesktopSize need the gateway's own handling.)
   */
  relayable: boolean;
  /** The encodings of its rectangles, LastRect included. */
  encodings: Set<number>;
  /** It holds a Tight JpegCompression rectangle. */
  jpeg: boolean;
  /** Its Tight rectangles' effect on the zlib streams, in order. */
  tight: TightStreamOp[];
  /** Tight streams it resets or uses: what a client that is not sent it falls out of step on. */
  touched: number;
}

/**
 * Finds the FramebufferUpdate (rfbproto §7.6.1) that starts at `buf[0]`, without inflating or drawing
 * anything, so that it can be relayed to a viewer as it came before it is decoded. Null when the
 * buffer does not start with one that is whole in it, when it holds an encoding whose length cannot
 * be known without decoding (Hextile, RRE, Zlib, ZRLE, …), or when anything in it is malformed (the
 * decoder then reports that, with its code). Tight's layout is read by the decoder's own
 * `tightLayout`, so what is framed here is exactly what the decoder will consume.
 */
export function frameUpdate(buf: Uint8Array, width: number, height: number, px: { bytesPerPixel: number; tpixelBytes: number }): FramedUpdate | null {
  const q = new ByteQueue();
  q.push(buf);
  const f = frameOne(q, width, height, px);
  return f === INCOMPLETE ? null : f;
}

/** frameOne's answer when the buffer ends inside an update that could be framed with more bytes. */
const INCOMPLETE = 'incomplete';

/**
 * The whole FramebufferUpdates at the start of `buf`, back to back, framed (frameUpdate) and described
 * together, and what follows them:
 * - `framed`: undefined when none is whole; else `length` is all of them, `count` the first one's
 *   number-of-rectangles (what a client rewriting its header needs), `tight` their stream operations
 *   in order, the rest the union;
 * - `updates`: how many;
 * - `rest`: 'none' (they end the buffer), 'incomplete' (a FramebufferUpdate begins after them and
 *   needs more bytes) or 'unknown' (what follows cannot be framed: another message, an encoding
 *   without lengths, malformed data, or an update after one that resized the framebuffer).
 * A run stops after an update with DesktopSize or ExtendedDesktopSize (the next one is framed against
 * the new size). An update that is not relayable (a Cursor, say) makes the run not relayable, but the
 * framing goes on past it.
 */
export function frameUpdates(
  buf: Uint8Array,
  width: number,
  height: number,
  px: { bytesPerPixel: number; tpixelBytes: number },
): { framed: FramedUpdate | undefined; updates: number; rest: 'none' | 'incomplete' | 'unknown' } {
  let framed: FramedUpdate | undefined;
  let updates = 0;
  const q = new ByteQueue();
  q.push(buf);
  while (q.length > 0) {
    const f = frameOne(q, width, height, px);
    if (f === INCOMPLETE) return { framed, updates, rest: 'incomplete' };
    if (!f) return { framed, updates, rest: 'unknown' };
    updates++;
    if (!framed) framed = f;
    else {
      framed.length += f.length;
      framed.relayable &&= f.relayable;
      for (const e of f.encodings) framed.encodings.add(e);
      framed.jpeg ||= f.jpeg;
      framed.tight.push(...f.tight);
      framed.touched |= f.touched;
    }
    // A new size changes how the next update is framed (its rectangles are checked against it).
    if (f.encodings.has(Encoding.DesktopSize) || f.encodings.has(Encoding.ExtendedDesktopSize))
      return { framed, updates, rest: q.length > 0 ? 'unknown' : 'none' };
  }
  return { framed, updates, rest: 'none' };
}

/**
 * Frames the update at the front of `q` and consumes it (on INCOMPLETE or null, `q` is left part-way:
 * the caller stops there).
 */
function frameOne(q: ByteQueue, width: number, height: number, px: { bytesPerPixel: number; tpixelBytes: number }): FramedUpdate | typeof INCOMPLETE | null {
  if (q.length === 0) return INCOMPLETE;
  if (q.peekUint8(0) !== ServerMessageType.FramebufferUpdate) return null;
  if (q.length < 4) return INCOMPLETE;
  const count = q.peekUint16BE(2);
  q.skip(4);
  const f: FramedUpdate = { length: 4, count, relayable: true, encodings: new Set(), jpeg: false, tight: [], touched: 0 };
  let w = width;
  let h = height;
  try {
    for (let i = 0; i < count; i++) {
      if (!q.has(RECT_HEADER_BYTES)) return INCOMPLETE;
      const x = q.peekUint16BE(0);
      const y = q.peekUint16BE(2);
      const rw = q.peekUint16BE(4);
      const rh = q.peekUint16BE(6);
      const encoding = q.peekUint32BE(8) | 0;
      f.encodings.add(encoding);
      q.skip(RECT_HEADER_BYTES);
      f.length += RECT_HEADER_BYTES;
      const body = rectBody(q, encoding, x, y, rw, rh, w, h, px, f);
      if (body === null) return null;
      if (body === NEED_MORE) return INCOMPLETE;
      if (encoding === Encoding.LastRect) return f;
      if (encoding === Encoding.DesktopSize || encoding === Encoding.ExtendedDesktopSize) {
        // Later rectangles are in the new size (the reader resizes fb here; a refusal keeps it, but is never relayed either).
        w = rw;
        h = rh;
      }
      if (!q.has(body)) return INCOMPLETE;
      q.skip(body);
      f.length += body;
    }
  } catch (err) {
    if (err instanceof ProtocolError) return null;
    throw err;
  }
  return f;
}

/** rectBody's answer when the bytes that say the length are not buffered yet. */
const NEED_MORE = -1;

/** Bytes of one rectangle's data (after its header), NEED_MORE, or null when it cannot be known; notes what matters in `f`. */
function rectBody(
  q: ByteQueue,
  encoding: number,
  x: number,
  y: number,
  w: number,
  h: number,
  fbW: number,
  fbH: number,
  px: { bytesPerPixel: number; tpixelBytes: number },
  f: FramedUpdate,
): number | null {
  const inside = x + w <= fbW && y + h <= fbH;
  switch (encoding) {
    case Encoding.LastRect:
      return 0;
    case Encoding.Raw:
      if (!inside) return null;
      return w * h * px.bytesPerPixel;
    case Encoding.CopyRect:
      if (!inside) return null;
      if (!q.has(4)) return NEED_MORE;
      if (q.peekUint16BE(0) + w > fbW || q.peekUint16BE(2) + h > fbH) return null;
      return 4;
    case Encoding.Tight: {
      if (!inside) return null;
      const l = tightLayout(q, w, h, px.tpixelBytes);
      if (!l) return NEED_MORE;
      // Compression control (rfbproto "Tight Encoding"): bits 0-3 reset streams 0-3 before the
      // rectangle; for basic compression bits 4-5 are the stream its zlib data is in.
      const comp = l.ctl >> 4;
      if (comp === TIGHT_JPEG) f.jpeg = true;
      const stream = comp !== TIGHT_FILL && comp !== TIGHT_JPEG && l.compressed ? comp & 3 : -1;
      const reset = l.ctl & 0x0f;
      f.tight.push({ reset, stream });
      f.touched |= reset | (stream >= 0 ? 1 << stream : 0);
      return l.total;
    }
    // Pseudo-rectangles (rfbproto §7.8): their lengths, so the update can be framed; never relayed.
    case Encoding.Cursor:
      f.relayable = false;
      return cursorDataBytes(w, h, px.bytesPerPixel);
    case Encoding.DesktopSize:
    case Encoding.QemuExtendedKeyEvent:
      f.relayable = false;
      return 0;
    case Encoding.QemuLedState:
      f.relayable = false;
      return 1;
    case Encoding.DesktopName:
      f.relayable = false;
      return q.has(4) ? 4 + q.peekUint32BE(0) : NEED_MORE;
    case Encoding.ExtendedDesktopSize:
      f.relayable = false;
      return q.has(1) ? 4 + SCREEN_BYTES * q.peekUint8(0) : NEED_MORE;
    default:
      return null;
  }
}
