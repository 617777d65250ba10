import { ByteQueue } from '../byte-queue.js';
import { AtenError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { ATEN_NO_SIGNAL_HEIGHT, ATEN_NO_SIGNAL_WIDTH, AtenServerMessageType as T } from './constants.js';

/**
 * One video rectangle of an ATEN FramebufferUpdate. The 20-byte header is x, y, w, h (u16 each),
 * s32 encoding, u32 mode, u32 dataLen. w×h is the current screen resolution: ATEN has no
 * DesktopSize, a new size simply arrives in the next rectangle header.
 */
export interface AtenVideoRect {
  x: number;
  y: number;
  width: number;
  height: number;
  /** 0x59 Hermon, 0x00 Hermon from old firmware, 0x57 AST2100. */
  encoding: number;
  /** kelleyk's "mysteryFlag", ATENtion's "mode"; meaning unknown. */
  mode: number;
  /** The payload (a copy: it outlives the input chunks). */
  data: Buffer;
}

export type AtenServerMessage =
  | {
      type: 'framebuffer-update';
      /** Video rectangles, in order. Does not include no-signal sentinels. */
      rects: AtenVideoRect[];
      /**
       * True when a rectangle was the "no signal" sentinel (w=0xFD80, h=0xFE20), or an AST2100
       * rectangle with no data (kelleyk: host off or rebooting). Show "no signal", keep requesting
       * full updates about once a second, never resize to it.
       */
      noSignal: boolean;
      /** The whole message's length on the wire (header, every rectangle header and payload). */
      bytes: number;
    }
  | { type: 'bell' }
  /**
   * 0x04, the cursor shape (kelleyk calls it "Front Ground Event"). u32 x, y, w, h, flag; when
   * flag is 1 a u32 and w×h 16-bit pixels follow (ATENtion and ikvmt; older clients read a fixed 20
   * bytes, which is the same thing when flag ≠ 1).
   */
  | { type: 'cursor'; x: number; y: number; width: number; height: number; flag: number; extra?: number; pixels?: Buffer }
  /** 0x16 + 1 byte, sent periodically by the server. */
  | { type: 'keep-alive'; value: number }
  /** 0x33 + 4 bytes, "Video Get Info". */
  | { type: 'video-info'; data: Buffer }
  /** 0x35 + 5 bytes, keyboard/mouse status (ATENtion). */
  | { type: 'keyboard-mouse-status'; data: Buffer }
  /** 0x37 + 2 or 3 bytes (firmware dependent), "Mouse Get Info". */
  | { type: 'mouse-info'; data: Buffer }
  /**
   * 0x39 + 264 bytes: u32 a, u32 b, char[256] ("<sid> <ROLE> <clientip>" on some firmware).
   * Insyde firmware reads b as a code: 0/1 user joined, 2 left, 3 kicked by web logout, 4 too many
   * sessions, 8 BIOS update, 9 BMC firmware update (kelleyk commit 8aabcfe).
   */
  | { type: 'session'; a: number; b: number; text: string }
  /** 0x3C + 8 bytes, "Get Viewer Lang" / screen status. */
  | { type: 'viewer-lang'; data: Buffer };

export interface AtenServerMessageReaderOptions {
  /**
   * Body length of message 0x37. X9 WPCM450 boards send 2 bytes (kelleyk, aten-proxy,
   * decaffeine-ipmi, mkrasselt1); ATENtion (X9DRH-7F) and ikvmt (X10 fw 4.00) read 3. Nothing in
   * the message tells them apart, so it is configured per board; a wrong guess ends the connection
   * with ATEN_ERR_UNKNOWN_MESSAGE a message later rather than silently desynchronising.
   */
  mouseInfoBodyBytes?: 2 | 3;
}

const FIXED_BODY: Readonly<Record<number, number>> = {
  [T.Bell]: 0,
  [T.KeepAlive]: 1,
  [T.VideoGetInfo]: 4,
  [T.KeyboardMouseStatus]: 5,
  [T.Session]: 264,
  [T.ViewerLang]: 8,
};

const RECT_HEADER_BYTES = 20;

/**
 * Incremental reader of ATEN server messages (after the handshake). `push` returns the messages
 * completed by the chunk; an incomplete message waits for more bytes. An unknown message type is
 * an AtenError: ATEN messages carry no length, so guessing would desynchronise the stream.
 * After an error the reader is unusable (the connection must be closed).
 */
export class AtenServerMessageReader {
  #q = new ByteQueue();
  #failed: AtenError | undefined;
  readonly #mouseInfoBody: number;
  // FramebufferUpdate in progress: rectangles are read one at a time as their bytes arrive.
  #fbuRemaining = -1;
  #fbuRects: AtenVideoRect[] = [];
  #fbuNoSignal = false;
  #fbuBytes = 0;

  constructor(options: AtenServerMessageReaderOptions = {}) {
    this.#mouseInfoBody = options.mouseInfoBodyBytes ?? 2;
  }

  /** Bytes buffered but not yet part of a complete message. */
  get buffered(): number {
    return this.#q.length;
  }

  /** Keeps a reference to `chunk` until consumed; the caller must not modify it. */
  push(chunk: Uint8Array): AtenServerMessage[] {
    this.write(chunk);
    const out: AtenServerMessage[] = [];
    for (let m = this.next(); m; m = this.next()) out.push(m);
    return out;
  }

  /** Appends a chunk without reading from it (then call `next()`). Keeps a reference to `chunk`. */
  write(chunk: Uint8Array): void {
    if (this.#failed) throw this.#failed;
    this.#q.push(chunk);
  }

  /**
   * The next complete message, or undefined until more bytes arrive. One at a time, so a caller
   * keeps every message before a malformed one (`push` throws them away with the error).
   */
  next(): AtenServerMessage | undefined {
    if (this.#failed) throw this.#failed;
    try {
      return this.#next();
    } catch (err) {
      if (err instanceof AtenError) this.#failed = err;
      throw err;
    }
  }

  #next(): AtenServerMessage | undefined {
    const q = this.#q;
    if (this.#fbuRemaining >= 0) return this.#continueUpdate();
    if (!q.has(1)) return undefined;
    const type = q.peekUint8(0);
    switch (type) {
      case T.FramebufferUpdate: {
        if (!q.has(4)) return undefined;
        const n = q.peekUint16BE(2);
        if (n > LIMITS.maxAtenRects) {
          throw new AtenError('ATEN_ERR_LIMIT', `${n} rectangles exceed ${LIMITS.maxAtenRects}`, 'FramebufferUpdate.number-of-rectangles');
        }
        q.skip(4);
        this.#fbuRemaining = n;
        this.#fbuRects = [];
        this.#fbuNoSignal = false;
        this.#fbuBytes = 4;
        return this.#continueUpdate();
      }
      case T.Cursor:
        return this.#cursor();
      case T.MouseGetInfo: {
        const len = this.#mouseInfoBody;
        if (!q.has(1 + len)) return undefined;
        q.skip(1);
        return { type: 'mouse-info', data: Buffer.from(q.consume(len)) };
      }
      default: {
        const len = FIXED_BODY[type];
        if (len === undefined) {
          throw new AtenError('ATEN_ERR_UNKNOWN_MESSAGE', `server message type 0x${type.toString(16).padStart(2, '0')} is not an ATEN message`, 'message-type');
        }
        if (!q.has(1 + len)) return undefined;
        q.skip(1);
        const body = Buffer.from(q.consume(len));
        switch (type) {
          case T.Bell:
            return { type: 'bell' };
          case T.KeepAlive:
            return { type: 'keep-alive', value: body[0]! };
          case T.VideoGetInfo:
            return { type: 'video-info', data: body };
          case T.KeyboardMouseStatus:
            return { type: 'keyboard-mouse-status', data: body };
          case T.Session: {
            const text = body.subarray(8);
            const nul = text.indexOf(0);
            return {
              type: 'session',
              a: body.readUInt32BE(0),
              b: body.readUInt32BE(4),
              text: text.subarray(0, nul < 0 ? text.length : nul).toString('latin1'),
            };
          }
          default:
            return { type: 'viewer-lang', data: body };
        }
      }
    }
  }

  #continueUpdate(): AtenServerMessage | undefined {
    const q = this.#q;
    while (this.#fbuRemaining > 0) {
      if (!q.has(RECT_HEADER_BYTES)) return undefined;
      const dataLen = q.peekUint32BE(16);
      if (dataLen > LIMITS.maxAtenRectBytes) {
        throw new AtenError('ATEN_ERR_LIMIT', `rectangle data of ${dataLen} bytes exceeds ${LIMITS.maxAtenRectBytes}`, 'FramebufferUpdate.data-length');
      }
      if (!q.has(RECT_HEADER_BYTES + dataLen)) return undefined;
      const h = q.consume(RECT_HEADER_BYTES);
      const x = h.readUInt16BE(0);
      const y = h.readUInt16BE(2);
      const width = h.readUInt16BE(4);
      const height = h.readUInt16BE(6);
      const encoding = h.readInt32BE(8);
      const mode = h.readUInt32BE(12);
      // The whole payload is always consumed here, so a decoder failing on it cannot misalign the stream.
      const data = Buffer.from(q.consume(dataLen));
      this.#fbuRemaining--;
      this.#fbuBytes += RECT_HEADER_BYTES + dataLen;
      if (width === ATEN_NO_SIGNAL_WIDTH && height === ATEN_NO_SIGNAL_HEIGHT) {
        this.#fbuNoSignal = true;
        continue;
      }
      if (dataLen === 0) {
        // An AST2100 rect with a normal size and no data: host off or rebooting (kelleyk). Same for
        // any other encoding: there is nothing to draw.
        this.#fbuNoSignal = true;
        continue;
      }
      if (width === 0 || height === 0 || width > LIMITS.maxFramebufferWidth || height > LIMITS.maxFramebufferHeight) {
        throw new AtenError('ATEN_ERR_RESOLUTION', `${width}x${height} is not a usable screen size`, 'FramebufferUpdate.rectangle-size');
      }
      this.#fbuRects.push({ x, y, width, height, encoding, mode, data });
    }
    this.#fbuRemaining = -1;
    const msg: AtenServerMessage = { type: 'framebuffer-update', rects: this.#fbuRects, noSignal: this.#fbuNoSignal, bytes: this.#fbuBytes };
    this.#fbuRects = [];
    return msg;
  }

  #cursor(): AtenServerMessage | undefined {
    const q = this.#q;
    if (!q.has(21)) return undefined;
    const x = q.peekUint32BE(1);
    const y = q.peekUint32BE(5);
    const width = q.peekUint32BE(9);
    const height = q.peekUint32BE(13);
    const flag = q.peekUint32BE(17);
    if (flag !== 1) {
      q.skip(21);
      return { type: 'cursor', x, y, width, height, flag };
    }
    if (width > LIMITS.maxAtenCursorSide || height > LIMITS.maxAtenCursorSide) {
      throw new AtenError('ATEN_ERR_LIMIT', `cursor ${width}x${height} exceeds ${LIMITS.maxAtenCursorSide}x${LIMITS.maxAtenCursorSide}`, 'Cursor.size');
    }
    const pixelBytes = width * height * 2;
    if (!q.has(25 + pixelBytes)) return undefined;
    const extra = q.peekUint32BE(21);
    q.skip(25);
    return { type: 'cursor', x, y, width, height, flag, extra, pixels: Buffer.from(q.consume(pixelBytes)) };
  }
}
