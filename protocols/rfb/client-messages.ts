import { ByteQueue } from '../byte-queue.js';
import { RfbError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { ClientMessageType, type PixelFormat } from './constants.js';
import { PIXEL_FORMAT_BYTES, readPixelFormat, writePixelFormat } from './pixel-format.js';
import { decodeLatin1, encodeLatin1 } from './rfb-strings.js';
import { SCREEN_BYTES, readScreens, writeScreens, type Screen } from './screen-layout.js';

/**
 * Client-to-server messages (RFC 6143 §7.5 and the rfbproto extensions noVNC 1.7 uses): the types,
 * an encoder for each (we send them to BMCs) and an incremental decoder (browsers send them to us).
 */
export type ClientMessage =
  | { type: 'set-pixel-format'; pixelFormat: PixelFormat }
  | { type: 'set-encodings'; encodings: number[] }
  | { type: 'framebuffer-update-request'; incremental: boolean; x: number; y: number; width: number; height: number }
  | { type: 'key-event'; down: boolean; keysym: number }
  | { type: 'pointer-event'; buttonMask: number; x: number; y: number }
  | { type: 'client-cut-text'; text: string }
  | { type: 'qemu-extended-key-event'; down: boolean; keysym: number; keycode: number }
  | { type: 'enable-continuous-updates'; enable: boolean; x: number; y: number; width: number; height: number }
  | { type: 'set-desktop-size'; width: number; height: number; screens: Screen[] };

/** QEMU Client Message (type 255) submessage-type for Extended Key Event (rfbproto). */
const QEMU_EXTENDED_KEY_EVENT = 0;

// ---- encoders -------------------------------------------------------------------------------------

/** SetPixelFormat (§7.5.1): type, 3 padding, PIXEL_FORMAT — 20 bytes. */
export function encodeSetPixelFormat(pixelFormat: PixelFormat): Buffer {
  const out = Buffer.alloc(4 + PIXEL_FORMAT_BYTES);
  out[0] = ClientMessageType.SetPixelFormat;
  return writePixelFormat(out, 4, pixelFormat);
}

/** SetEncodings (§7.5.2): type, padding, U16 count, S32 encodings in order of preference. */
export function encodeSetEncodings(encodings: readonly number[]): Buffer {
  const out = Buffer.alloc(4 + 4 * encodings.length);
  out[0] = ClientMessageType.SetEncodings;
  out.writeUInt16BE(encodings.length, 2);
  encodings.forEach((e, i) => out.writeInt32BE(e, 4 + 4 * i));
  return out;
}

/** FramebufferUpdateRequest (§7.5.3): type, incremental, x, y, width, height — 10 bytes. */
export function encodeFramebufferUpdateRequest(r: { incremental: boolean; x: number; y: number; width: number; height: number }): Buffer {
  return encodeFlagAndRect(ClientMessageType.FramebufferUpdateRequest, r.incremental, r);
}

/** KeyEvent (§7.5.4): type, down-flag, 2 padding, U32 keysym — 8 bytes. */
export function encodeKeyEvent(e: { down: boolean; keysym: number }): Buffer {
  const out = Buffer.alloc(8);
  out[0] = ClientMessageType.KeyEvent;
  out[1] = e.down ? 1 : 0;
  out.writeUInt32BE(e.keysym, 4);
  return out;
}

/** PointerEvent (§7.5.5): type, button-mask, x, y — 6 bytes. */
export function encodePointerEvent(e: { buttonMask: number; x: number; y: number }): Buffer {
  const out = Buffer.alloc(6);
  out[0] = ClientMessageType.PointerEvent;
  out.writeUInt8(e.buttonMask, 1);
  out.writeUInt16BE(e.x, 2);
  out.writeUInt16BE(e.y, 4);
  return out;
}

/** ClientCutText (§7.5.6): type, 3 padding, U32 length, Latin-1 text (other characters become '?'). */
export function encodeClientCutText(text: string): Buffer {
  const body = encodeLatin1(text);
  const out = Buffer.alloc(8 + body.length);
  out[0] = ClientMessageType.ClientCutText;
  out.writeUInt32BE(body.length, 4);
  body.copy(out, 8);
  return out;
}

/**
 * QEMU Extended Key Event (rfbproto "QEMU Extended Key Event Message"): 255, submessage 0, U16
 * down-flag, U32 keysym, U32 XT keycode — 12 bytes. Only after the server confirmed pseudo-encoding
 * -258 with an empty rectangle.
 */
export function encodeQemuExtendedKeyEvent(e: { down: boolean; keysym: number; keycode: number }): Buffer {
  const out = Buffer.alloc(12);
  out[0] = ClientMessageType.QemuClientMessage;
  out[1] = QEMU_EXTENDED_KEY_EVENT;
  out.writeUInt16BE(e.down ? 1 : 0, 2);
  out.writeUInt32BE(e.keysym, 4);
  out.writeUInt32BE(e.keycode, 8);
  return out;
}

/** EnableContinuousUpdates (rfbproto): 150, enable-flag, x, y, width, height — 10 bytes. */
export function encodeEnableContinuousUpdates(e: { enable: boolean; x: number; y: number; width: number; height: number }): Buffer {
  return encodeFlagAndRect(ClientMessageType.EnableContinuousUpdates, e.enable, e);
}

/** SetDesktopSize (rfbproto): 251, padding, width, height, U8 number-of-screens, padding, SCREENs. */
export function encodeSetDesktopSize(m: { width: number; height: number; screens: readonly Screen[] }): Buffer {
  const out = Buffer.alloc(8 + SCREEN_BYTES * m.screens.length);
  out[0] = ClientMessageType.SetDesktopSize;
  out.writeUInt16BE(m.width, 2);
  out.writeUInt16BE(m.height, 4);
  out.writeUInt8(m.screens.length, 6);
  writeScreens(out, 8, m.screens);
  return out;
}

/** Encodes any client message (exhaustive over the union). */
export function encodeClientMessage(m: ClientMessage): Buffer {
  switch (m.type) {
    case 'set-pixel-format':
      return encodeSetPixelFormat(m.pixelFormat);
    case 'set-encodings':
      return encodeSetEncodings(m.encodings);
    case 'framebuffer-update-request':
      return encodeFramebufferUpdateRequest(m);
    case 'key-event':
      return encodeKeyEvent(m);
    case 'pointer-event':
      return encodePointerEvent(m);
    case 'client-cut-text':
      return encodeClientCutText(m.text);
    case 'qemu-extended-key-event':
      return encodeQemuExtendedKeyEvent(m);
    case 'enable-continuous-updates':
      return encodeEnableContinuousUpdates(m);
    case 'set-desktop-size':
      return encodeSetDesktopSize(m);
  }
}

function encodeFlagAndRect(type: number, flag: boolean, r: { x: number; y: number; width: number; height: number }): Buffer {
  const out = Buffer.alloc(10);
  out[0] = type;
  out[1] = flag ? 1 : 0;
  out.writeUInt16BE(r.x, 2);
  out.writeUInt16BE(r.y, 4);
  out.writeUInt16BE(r.width, 6);
  out.writeUInt16BE(r.height, 8);
  return out;
}

// ---- decoder --------------------------------------------------------------------------------------

/**
 * Decodes the client-to-server message stream incrementally (the server role: what noVNC sends).
 *
 * Each message is framed first (its length is known from the type and, for variable messages, a
 * bounded count or length), then parsed whole; partial messages stay buffered and yield nothing.
 * Bounds: SetEncodings count <= LIMITS.maxEncodings, ClientCutText length <= LIMITS.maxCutTextBytes
 * (RFB_ERR_TOO_LARGE). An unknown message type is RFB_ERR_UNKNOWN_MESSAGE: RFB messages carry no
 * length, so there is no way to skip one and stay in sync. Returned messages own their data.
 */
export class ClientMessageReader {
  readonly #q = new ByteQueue();
  /** Set once a push threw: what it threw (rethrown as is by every later push). */
  #failed: { err: unknown } | undefined;

  /**
   * Appends a chunk and returns every message now complete. Keeps a reference to `chunk`. After a
   * throw the stream is out of sync for good: later calls throw the same error again.
   */
  push(chunk: Uint8Array): ClientMessage[] {
    if (this.#failed) throw this.#failed.err;
    this.#q.push(chunk);
    const out: ClientMessage[] = [];
    try {
      for (;;) {
        const m = this.#next();
        if (!m) return out;
        out.push(m);
      }
    } catch (err) {
      this.#failed = { err };
      throw err;
    }
  }

  /** Bytes buffered towards an incomplete message. */
  get buffered(): number {
    return this.#q.length;
  }

  #next(): ClientMessage | undefined {
    const q = this.#q;
    if (!q.has(1)) return undefined;
    const type = q.peekUint8(0);
    switch (type) {
      case ClientMessageType.SetPixelFormat: {
        if (!q.has(20)) return undefined;
        const b = q.consume(20);
        return { type: 'set-pixel-format', pixelFormat: readPixelFormat(b, 4, 'SetPixelFormat.pixel-format') };
      }
      case ClientMessageType.SetEncodings: {
        if (!q.has(4)) return undefined;
        const count = q.peekUint16BE(2);
        if (count > LIMITS.maxEncodings) {
          throw new RfbError('RFB_ERR_TOO_LARGE', `${count} encodings is over the limit of ${LIMITS.maxEncodings}`, 'SetEncodings.number-of-encodings');
        }
        if (!q.has(4 + 4 * count)) return undefined;
        const b = q.consume(4 + 4 * count);
        const encodings: number[] = [];
        for (let i = 0; i < count; i++) encodings.push(b.readInt32BE(4 + 4 * i));
        return { type: 'set-encodings', encodings };
      }
      case ClientMessageType.FramebufferUpdateRequest: {
        if (!q.has(10)) return undefined;
        const b = q.consume(10);
        return { type: 'framebuffer-update-request', incremental: b[1] !== 0, ...readRect(b, 2) };
      }
      case ClientMessageType.KeyEvent: {
        if (!q.has(8)) return undefined;
        const b = q.consume(8);
        return { type: 'key-event', down: b[1] !== 0, keysym: b.readUInt32BE(4) };
      }
      case ClientMessageType.PointerEvent: {
        if (!q.has(6)) return undefined;
        const b = q.consume(6);
        return { type: 'pointer-event', buttonMask: b[1]!, x: b.readUInt16BE(2), y: b.readUInt16BE(4) };
      }
      case ClientMessageType.ClientCutText: {
        if (!q.has(8)) return undefined;
        const length = q.peekUint32BE(4);
        if (length >= 0x80000000) {
          // A negative S32 length is the Extended Clipboard format; noVNC only uses it after the
          // server announced that pseudo-encoding's capabilities, which we never do.
          throw new RfbError('RFB_ERR_BAD_VALUE', 'Extended Clipboard message, but that extension was never negotiated', 'ClientCutText.length');
        }
        if (length > LIMITS.maxCutTextBytes) {
          throw new RfbError('RFB_ERR_TOO_LARGE', `${length} bytes is over the limit of ${LIMITS.maxCutTextBytes}`, 'ClientCutText.length');
        }
        if (!q.has(8 + length)) return undefined;
        return { type: 'client-cut-text', text: decodeLatin1(q.consume(8 + length).subarray(8)) };
      }
      case ClientMessageType.EnableContinuousUpdates: {
        if (!q.has(10)) return undefined;
        const b = q.consume(10);
        return { type: 'enable-continuous-updates', enable: b[1] !== 0, ...readRect(b, 2) };
      }
      case ClientMessageType.SetDesktopSize: {
        if (!q.has(8)) return undefined;
        const count = q.peekUint8(6); // U8: at most 255 screens, a bound in itself
        if (!q.has(8 + SCREEN_BYTES * count)) return undefined;
        const b = q.consume(8 + SCREEN_BYTES * count);
        return { type: 'set-desktop-size', width: b.readUInt16BE(2), height: b.readUInt16BE(4), screens: readScreens(b, 8, count) };
      }
      case ClientMessageType.QemuClientMessage: {
        if (!q.has(2)) return undefined;
        const sub = q.peekUint8(1);
        if (sub !== QEMU_EXTENDED_KEY_EVENT) {
          // Audio (1) is the only other submessage; noVNC never sends it and we never confirm -259.
          throw new RfbError('RFB_ERR_UNKNOWN_MESSAGE', `QEMU client message submessage-type ${sub}`, 'QemuClientMessage.submessage-type');
        }
        if (!q.has(12)) return undefined;
        const b = q.consume(12);
        return { type: 'qemu-extended-key-event', down: b.readUInt16BE(2) !== 0, keysym: b.readUInt32BE(4), keycode: b.readUInt32BE(8) };
      }
      default:
        throw new RfbError('RFB_ERR_UNKNOWN_MESSAGE', `client message type ${type}`, 'message-type');
    }
  }
}

function readRect(b: Buffer, offset: number): { x: number; y: number; width: number; height: number } {
  return { x: b.readUInt16BE(offset), y: b.readUInt16BE(offset + 2), width: b.readUInt16BE(offset + 4), height: b.readUInt16BE(offset + 6) };
}
