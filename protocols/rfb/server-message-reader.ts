import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { LIMITS, RFB_LIMITS } from '../limits.js';
import { Encoding, ServerMessageType } from './constants.js';
import type { Framebuffer } from './framebuffer.js';
import { PaintQueue } from './encodings/paint-queue.js';
import { PixelReader, storeWord } from './encodings/pixel-reader.js';
import type { RectDecoder, RectHeader } from './encodings/types.js';
import { decodeDisplayString, decodeLatin1, peekLengthPrefixed } from './rfb-strings.js';
import { SCREEN_BYTES, readScreens, type Screen } from './screen-layout.js';

export interface Colour {
  red: number;
  green: number;
  blue: number;
}

/**
 * What the server-to-client stream means to its client, one event per thing that happened.
 * Framebuffer changes have already been applied to `fb` when their event is returned.
 */
export type ServerMessage =
  /** A real rectangle, decoded into fb. CopyRect (encoding 1) also carries its source. */
  | { type: 'rect'; encoding: number; x: number; y: number; width: number; height: number; srcX?: number; srcY?: number }
  /** The end of a FramebufferUpdate (its rectangle count reached, or a LastRect). */
  | { type: 'update-end' }
  /**
   * fb has been resized (DesktopSize, or an ExtendedDesktopSize that is not a refusal). Sent for
   * every such rectangle, even when the size did not change (servers answer every non-incremental
   * request with ExtendedDesktopSize); `extended` is there for ExtendedDesktopSize.
   */
  | { type: 'desktop-size'; width: number; height: number; extended?: { reason: number; status: number; screens: Screen[] } }
  /** ExtendedDesktopSize answering our SetDesktopSize with an error status (reason 1, status != 0): fb unchanged. */
  | { type: 'desktop-size-refused'; status: number }
  /** Cursor shape; x/y is the hotspot, rgbx width*height*4 bytes, mask rows of ceil(width/8) bytes, MSB leftmost. */
  | { type: 'cursor'; x: number; y: number; width: number; height: number; rgbx: Buffer; mask: Buffer }
  | { type: 'desktop-name'; name: string }
  /** The server confirmed QEMU Extended Key Events (empty -258 pseudo-rectangle): it wants XT keycodes. */
  | { type: 'qemu-extended-key-event' }
  /** QEMU LED State: bit 0 Scroll Lock, bit 1 Num Lock, bit 2 Caps Lock (other bits reserved, passed as sent). */
  | { type: 'led-state'; state: number }
  | { type: 'bell' }
  | { type: 'cut-text'; text: string }
  | { type: 'colour-map'; first: number; colours: Colour[] }
  | { type: 'end-of-continuous-updates' };

export interface ServerMessageReaderOptions {
  /** The shadow framebuffer the rectangles are decoded into; resized on DesktopSize. */
  fb: Framebuffer;
  /** One decoder per real encoding we asked for (encodings/index.ts createDecoders()). */
  decoders: Map<number, RectDecoder>;
  /**
   * The agreed pixel format, shared with the decoders (createDecoders(pixels)); default our RGBX.
   * Cursor pixels are read with it, and SetColourMapEntries fills its table for colour-map formats.
   */
  pixels?: PixelReader;
  /**
   * Let decoders that can (Tight) put off paints until the framebuffer is next
   * read, and skip those a later rectangle covers before that (paint-queue.ts,
   * Framebuffer.holdPaints): whoever reads `fb.data` (or anything built on it) sees exactly what
   * drawing every rectangle at once gives. Only for a reader that owns its framebuffer's pixel
   * writes (the gateway's vnc source: the Session's shadow). Default false (a viewer that shows each
   * rectangle as it comes, as noVNC does).
   */
  deferPaints?: boolean;
}

type State =
  { kind: 'message' } | { kind: 'rect-header'; left: number } | { kind: 'rect-body'; left: number; header: RectHeader; decoder: RectDecoder | undefined };

/**
 * The pseudo-encodings this reader understands: a client should list these (and no others) after
 * its real encodings in SetEncodings, since a rectangle in any other one is RFB_ERR_UNKNOWN_ENCODING.
 */
export const READER_PSEUDO_ENCODINGS: readonly number[] = Object.freeze([
  Encoding.DesktopSize,
  Encoding.ExtendedDesktopSize,
  Encoding.LastRect,
  Encoding.Cursor,
  Encoding.DesktopName,
  Encoding.QemuExtendedKeyEvent,
  Encoding.QemuLedState,
]);

const ENCODING_NAMES = new Map<number, string>(Object.entries(Encoding).map(([name, n]) => [n, name]));

/**
 * Decodes the server-to-client message stream (the client role: what a BMC sends us) incrementally,
 * applying framebuffer changes to `fb` and returning one event per thing that happened.
 *
 * Pixel data is in the format of `pixels` (the one the client agreed with SetPixelFormat before its
 * first FramebufferUpdateRequest; RGBX_PIXEL_FORMAT by default), the Cursor pseudo-encoding's too.
 *
 * Every real rectangle's header is bounds-checked against fb (RFB_ERR_RECT_OUT_OF_BOUNDS) before its
 * decoder runs. CopyRect is handled here, not by a decoder from the map (any entry for 1 is ignored):
 * its source is checked too, and the event reports srcX/srcY so the Session can forward a CopyRect.
 * Pseudo-encodings handled: READER_PSEUDO_ENCODINGS (DesktopSize, ExtendedDesktopSize, LastRect,
 * Cursor, DesktopName, QEMU Extended Key Event, QEMU LED State). Any other encoding is RFB_ERR_UNKNOWN_ENCODING, and any unknown message type
 * RFB_ERR_UNKNOWN_MESSAGE: RFB data carries no lengths, so neither can be skipped. Variable lengths are
 * bounded by LIMITS before we wait for them (RFB_ERR_TOO_LARGE).
 */
export class ServerMessageReader {
  readonly #q = new ByteQueue();
  readonly #fb: Framebuffer;
  readonly #decoders: Map<number, RectDecoder>;
  readonly #px: PixelReader;
  readonly #paints: PaintQueue | undefined;
  #state: State = { kind: 'message' };
  /** Set once a push threw: what it threw (rethrown as is by every later push). */
  #failed: { err: unknown } | undefined;

  constructor(options: ServerMessageReaderOptions) {
    this.#fb = options.fb;
    this.#decoders = options.decoders;
    this.#px = options.pixels ?? new PixelReader();
    this.#paints = options.deferPaints ? new PaintQueue() : undefined;
    if (this.#paints) this.#fb.holdPaints(this.#paints);
  }

  /** The deferred paints (deferPaints), for what they saved. */
  get paints(): PaintQueue | undefined {
    return this.#paints;
  }

  /** True between a FramebufferUpdate header and its end. */
  get inUpdate(): boolean {
    return this.#state.kind !== 'message';
  }

  /** True at a message boundary with nothing buffered: the next pushed byte starts a message. */
  get atBoundary(): boolean {
    return this.#state.kind === 'message' && this.#q.length === 0 && !this.#failed;
  }

  /**
   * Appends a chunk and returns every event now complete. Keeps a reference to `chunk`. After a
   * throw the stream is out of sync for good: later calls throw the same error again.
   */
  push(chunk: Uint8Array): ServerMessage[] {
    if (this.#failed) throw this.#failed.err;
    this.#q.push(chunk);
    const out: ServerMessage[] = [];
    const paints = this.#paints;
    try {
      // A deferred paint that found its data bad when it ran (PaintQueue.fail) fails the stream here,
      // at the reader's next step after it ran (it may have run for a viewer's encode between pushes).
      if (paints?.failure) throw paints.failure;
      while (this.#step(out)) if (paints?.failure) throw paints.failure;
    } catch (err) {
      this.#failed = { err };
      throw err;
    }
    return out;
  }

  /** One step of the state machine; false when more input is needed. */
  #step(out: ServerMessage[]): boolean {
    const s = this.#state;
    switch (s.kind) {
      case 'message':
        return this.#message(out);
      case 'rect-header':
        return this.#rectHeader(s.left, out);
      case 'rect-body':
        return this.#rectBody(s.left, s.header, s.decoder, out);
    }
  }

  #message(out: ServerMessage[]): boolean {
    const q = this.#q;
    if (!q.has(1)) return false;
    const type = q.peekUint8(0);
    switch (type) {
      case ServerMessageType.FramebufferUpdate: {
        // §7.6.1: type, padding, U16 number-of-rectangles (65535 usually means "until LastRect").
        if (!q.has(4)) return false;
        const count = q.peekUint16BE(2);
        q.skip(4);
        if (count === 0) out.push({ type: 'update-end' });
        else this.#state = { kind: 'rect-header', left: count };
        return true;
      }
      case ServerMessageType.SetColourMapEntries: {
        // §7.6.2: type, padding, U16 first-colour, U16 number-of-colours, U16 r, g, b each.
        if (!q.has(6)) return false;
        const first = q.peekUint16BE(2);
        const count = q.peekUint16BE(4);
        if (count > LIMITS.maxColourMapEntries || first + count > 65536) {
          throw new RfbError(
            'RFB_ERR_BAD_VALUE',
            `colours ${first}..${first + count - 1} lie outside a 65536-entry colour map`,
            'SetColourMapEntries.number-of-colours',
          );
        }
        if (!q.has(6 + 6 * count)) return false;
        const b = q.consume(6 + 6 * count);
        const colours: Colour[] = [];
        for (let i = 0, o = 6; i < count; i++, o += 6) {
          colours.push({ red: b.readUInt16BE(o), green: b.readUInt16BE(o + 2), blue: b.readUInt16BE(o + 4) });
        }
        this.#px.setColourMap(first, colours);
        out.push({ type: 'colour-map', first, colours });
        return true;
      }
      case ServerMessageType.Bell:
        q.skip(1);
        out.push({ type: 'bell' });
        return true;
      case ServerMessageType.ServerCutText: {
        // §7.6.4: type, 3 padding, U32 length, Latin-1 text.
        if (!q.has(8)) return false;
        if (q.peekUint32BE(4) >= 0x80000000) {
          // Negative as S32: the Extended Clipboard format, which we never ask for.
          throw new RfbError('RFB_ERR_BAD_VALUE', 'Extended Clipboard message, but that extension was never negotiated', 'ServerCutText.length');
        }
        const text = peekLengthPrefixed(q, 4, LIMITS.maxCutTextBytes, 'ServerCutText.length');
        if (!text) return false;
        out.push({ type: 'cut-text', text: decodeLatin1(text.bytes) });
        q.skip(4 + text.size);
        return true;
      }
      case ServerMessageType.EndOfContinuousUpdates:
        q.skip(1);
        out.push({ type: 'end-of-continuous-updates' });
        return true;
      default:
        throw new RfbError('RFB_ERR_UNKNOWN_MESSAGE', `server message type ${type}`, 'message-type');
    }
  }

  #rectHeader(left: number, out: ServerMessage[]): boolean {
    const q = this.#q;
    if (!q.has(12)) return false;
    const b = q.consume(12);
    const header: RectHeader = { x: b.readUInt16BE(0), y: b.readUInt16BE(2), width: b.readUInt16BE(4), height: b.readUInt16BE(6), encoding: b.readInt32BE(8) };
    switch (header.encoding) {
      case Encoding.LastRect:
        // rfbproto LastRect: ends the update whatever the announced count; no data.
        this.#state = { kind: 'message' };
        out.push({ type: 'update-end' });
        return true;
      case Encoding.DesktopSize:
        // §7.8.2: x and y are ignored, width/height is the new size, no data. Later rects of this
        // update are checked against the new size.
        this.#fb.resize(header.width, header.height);
        out.push({ type: 'desktop-size', width: header.width, height: header.height });
        this.#rectDone(left, out);
        return true;
      case Encoding.QemuExtendedKeyEvent:
        out.push({ type: 'qemu-extended-key-event' });
        this.#rectDone(left, out);
        return true;
      case Encoding.ExtendedDesktopSize:
      case Encoding.Cursor:
      case Encoding.DesktopName:
      case Encoding.QemuLedState:
        if (header.encoding === Encoding.Cursor && (header.width > RFB_LIMITS.maxCursorWidth || header.height > RFB_LIMITS.maxCursorHeight)) {
          throw new RfbError(
            'RFB_ERR_TOO_LARGE',
            `${header.width}x${header.height} cursor is over the limit of ${RFB_LIMITS.maxCursorWidth}x${RFB_LIMITS.maxCursorHeight}`,
            'Cursor.width/height',
          );
        }
        this.#state = { kind: 'rect-body', left, header, decoder: undefined };
        return true;
      case Encoding.CopyRect:
        this.#fb.checkRect(header.x, header.y, header.width, header.height, 'FramebufferUpdate.rectangle');
        this.#state = { kind: 'rect-body', left, header, decoder: undefined };
        return true;
      default: {
        const decoder = this.#decoders.get(header.encoding);
        if (!decoder) {
          const name = ENCODING_NAMES.get(header.encoding);
          throw new RfbError(
            'RFB_ERR_UNKNOWN_ENCODING',
            `rectangle in encoding ${header.encoding}${name ? ` (${name})` : ''}, which we have no decoder for`,
            'FramebufferUpdate.encoding-type',
          );
        }
        this.#fb.checkRect(header.x, header.y, header.width, header.height, 'FramebufferUpdate.rectangle');
        this.#state = { kind: 'rect-body', left, header, decoder };
        return true;
      }
    }
  }

  #rectBody(left: number, h: RectHeader, decoder: RectDecoder | undefined, out: ServerMessage[]): boolean {
    const q = this.#q;
    if (decoder) {
      // A decoder touches only its own rectangle's pixels: what waits elsewhere may keep waiting.
      const paints = this.#paints;
      if (paints) this.#fb.drawingIn(h);
      let done: boolean;
      try {
        done = decoder.decodeRect(q, h, this.#fb, paints);
      } finally {
        if (paints) this.#fb.drawingIn(undefined);
      }
      if (!done) return false;
      out.push({ type: 'rect', encoding: h.encoding, x: h.x, y: h.y, width: h.width, height: h.height });
    } else if (h.encoding === Encoding.CopyRect) {
      // §7.7.2: U16 src-x-position, U16 src-y-position; the source comes off the wire, so check it.
      if (!q.has(4)) return false;
      const srcX = q.peekUint16BE(0);
      const srcY = q.peekUint16BE(2);
      this.#fb.checkRect(srcX, srcY, h.width, h.height, 'CopyRect.src');
      q.skip(4);
      this.#fb.copyRect(srcX, srcY, h.x, h.y, h.width, h.height);
      out.push({ type: 'rect', encoding: h.encoding, x: h.x, y: h.y, width: h.width, height: h.height, srcX, srcY });
    } else if (h.encoding === Encoding.Cursor) {
      const pixelBytes = h.width * h.height * this.#px.bytesPerPixel;
      const maskBytes = cursorDataBytes(h.width, h.height, this.#px.bytesPerPixel) - pixelBytes;
      if (!q.has(pixelBytes + maskBytes)) return false;
      const rgbx = this.#cursorPixels(q.consume(pixelBytes), h.width * h.height);
      const mask = Buffer.from(q.consume(maskBytes));
      out.push({ type: 'cursor', x: h.x, y: h.y, width: h.width, height: h.height, rgbx, mask });
    } else if (h.encoding === Encoding.QemuLedState) {
      // rfbproto QEMU LED State: one U8.
      if (!q.has(1)) return false;
      out.push({ type: 'led-state', state: q.readUint8() });
    } else if (h.encoding === Encoding.DesktopName) {
      // rfbproto DesktopName: U32 name-length, UTF-8 name.
      const name = peekLengthPrefixed(q, 0, LIMITS.maxNameBytes, 'DesktopName.name-length');
      if (!name) return false;
      out.push({ type: 'desktop-name', name: decodeDisplayString(name.bytes) });
      q.skip(name.size);
    } else {
      if (!this.#extendedDesktopSize(h, out)) return false;
    }
    this.#rectDone(left, out);
    return true;
  }

  /**
   * rfbproto ExtendedDesktopSize: x = reason, y = status, width/height the framebuffer size; data is
   * U8 number-of-screens, 3 padding, SCREENs. Status only means something for reason 1 (our own
   * SetDesktopSize); a non-zero status there is a refusal and "all remaining fields are undefined",
   * so fb is left alone.
   */
  #extendedDesktopSize(h: RectHeader, out: ServerMessage[]): boolean {
    const q = this.#q;
    if (!q.has(4)) return false;
    const count = q.peekUint8(0);
    if (!q.has(4 + SCREEN_BYTES * count)) return false;
    const b = q.consume(4 + SCREEN_BYTES * count);
    const reason = h.x;
    const status = h.y;
    if (reason === 1 && status !== 0) {
      out.push({ type: 'desktop-size-refused', status });
      return true;
    }
    this.#fb.resize(h.width, h.height);
    out.push({ type: 'desktop-size', width: h.width, height: h.height, extended: { reason, status, screens: readScreens(b, 4, count) } });
    return true;
  }

  /** Cursor PIXELs as a fresh RGBX buffer (the event outlives the chunk). */
  #cursorPixels(data: Buffer, count: number): Buffer {
    const px = this.#px;
    if (px.rgbx) return Buffer.from(data);
    const out = Buffer.alloc(count * 4);
    for (let i = 0; i < count; i++) storeWord(out, i * 4, px.pixel(data, i * px.bytesPerPixel));
    return out;
  }

  #rectDone(left: number, out: ServerMessage[]): void {
    if (left <= 1) {
      this.#state = { kind: 'message' };
      out.push({ type: 'update-end' });
    } else {
      this.#state = { kind: 'rect-header', left: left - 1 };
    }
  }
}

/** Bytes of a Cursor pseudo-rectangle's data (§7.8.1): width*height PIXELs, then ceil(width/8)*height mask bytes. */
export function cursorDataBytes(width: number, height: number, bytesPerPixel: number): number {
  return width * height * bytesPerPixel + Math.ceil(width / 8) * height;
}
