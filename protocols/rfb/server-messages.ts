import { Encoding, ServerMessageType } from './constants.js';
import type { Rect } from './framebuffer.js';
import { encodeLatin1 } from './rfb-strings.js';
import { SCREEN_BYTES, writeScreens, type Screen } from './screen-layout.js';

export { READER_PSEUDO_ENCODINGS, ServerMessageReader, type ServerMessage, type ServerMessageReaderOptions, type Colour } from './server-message-reader.js';

/**
 * Encoders for the server-to-client messages we send to browsers (RFC 6143 §7.6 and the
 * pseudo-encodings of §7.8 / rfbproto). A FramebufferUpdate is its 4-byte header followed by that
 * many rectangles, each a 12-byte header plus its encoding's data (encodings/ produce whole rects).
 */

/** Size of a rectangle header (§7.6.1): x, y, width, height (U16), encoding-type (S32). */
export const RECT_HEADER_BYTES = 12;

/**
 * Number of rectangles that announces "until LastRect" (rfbproto LastRect Pseudo-encoding): the
 * update then ends with an encodeLastRect() rectangle, whatever the count.
 */
export const RECT_COUNT_UNTIL_LAST_RECT = 0xffff;

/** FramebufferUpdate header (§7.6.1): type 0, padding, U16 number-of-rectangles. */
export function encodeFramebufferUpdateHeader(rectCount: number): Buffer {
  const out = Buffer.alloc(4);
  out[0] = ServerMessageType.FramebufferUpdate;
  out.writeUInt16BE(rectCount, 2);
  return out;
}

/** A rectangle header (§7.6.1); its encoding's data follows. */
export function encodeRectHeader(rect: Rect, encoding: number): Buffer {
  const out = Buffer.alloc(RECT_HEADER_BYTES);
  writeRectHeaderAt(out, 0, rect, encoding);
  return out;
}

/** LastRect pseudo-rectangle: all zero, encoding -224, no data. */
export function encodeLastRect(): Buffer {
  return encodeRectHeader({ x: 0, y: 0, width: 0, height: 0 }, Encoding.LastRect);
}

/** DesktopSize pseudo-rectangle (§7.8.2): x, y ignored (0), width/height the new size, no data. */
export function encodeDesktopSizeRect(width: number, height: number): Buffer {
  return encodeRectHeader({ x: 0, y: 0, width, height }, Encoding.DesktopSize);
}

/**
 * ExtendedDesktopSize pseudo-rectangle (rfbproto): x = reason (0 server, 1 this client's request,
 * 2 another client's), y = status (0 ok), width/height the framebuffer; data is U8
 * number-of-screens, 3 padding, SCREENs.
 */
export function encodeExtendedDesktopSizeRect(m: { reason: number; status: number; width: number; height: number; screens: readonly Screen[] }): Buffer {
  const out = Buffer.alloc(RECT_HEADER_BYTES + 4 + SCREEN_BYTES * m.screens.length);
  writeRectHeaderAt(out, 0, { x: m.reason, y: m.status, width: m.width, height: m.height }, Encoding.ExtendedDesktopSize);
  out.writeUInt8(m.screens.length, RECT_HEADER_BYTES);
  writeScreens(out, RECT_HEADER_BYTES + 4, m.screens);
  return out;
}

/**
 * Cursor pseudo-rectangle (§7.8.1): x/y the hotspot; data is width*height pixels in the client's
 * pixel format, then a 1-bit mask, rows padded to whole bytes, MSB leftmost. `pixels` must already be
 * in the client's format (4 bytes a pixel for noVNC's 32-bpp format). Observed: noVNC 1.7
 * core/rfb.js _handleCursor reads cursor pixel bytes as B, G, R, X although its SetPixelFormat asks
 * for R, G, B, X (red-shift 0), so a viewer may need to swap red and blue for noVNC.
 */
export function encodeCursorRect(m: { hotX: number; hotY: number; width: number; height: number; pixels: Uint8Array; mask: Uint8Array }): Buffer {
  const pixelBytes = m.width * m.height * 4;
  const maskBytes = Math.floor((m.width + 7) / 8) * m.height;
  if (m.pixels.length !== pixelBytes || m.mask.length !== maskBytes) {
    throw new Error(`encodeCursorRect: ${m.width}x${m.height} needs ${pixelBytes} pixel and ${maskBytes} mask bytes`);
  }
  const out = Buffer.alloc(RECT_HEADER_BYTES + pixelBytes + maskBytes);
  writeRectHeaderAt(out, 0, { x: m.hotX, y: m.hotY, width: m.width, height: m.height }, Encoding.Cursor);
  out.set(m.pixels, RECT_HEADER_BYTES);
  out.set(m.mask, RECT_HEADER_BYTES + pixelBytes);
  return out;
}

/** DesktopName pseudo-rectangle (rfbproto): header all zero, then U32 length and a UTF-8 name. */
export function encodeDesktopNameRect(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const out = Buffer.alloc(RECT_HEADER_BYTES + 4 + bytes.length);
  writeRectHeaderAt(out, 0, { x: 0, y: 0, width: 0, height: 0 }, Encoding.DesktopName);
  out.writeUInt32BE(bytes.length, RECT_HEADER_BYTES);
  bytes.copy(out, RECT_HEADER_BYTES + 4);
  return out;
}

/**
 * The empty pseudo-rectangle that confirms QEMU Extended Key Events (rfbproto: "If a server wishes
 * to receive raw keycodes it will send an empty pseudo-rectangle with the matching pseudo-encoding").
 */
export function encodeQemuExtendedKeyEventRect(): Buffer {
  return encodeRectHeader({ x: 0, y: 0, width: 0, height: 0 }, Encoding.QemuExtendedKeyEvent);
}

/** QEMU LED State pseudo-rectangle (rfbproto): header all zero, then the U8 state. */
export function encodeQemuLedStateRect(state: number): Buffer {
  const out = Buffer.alloc(RECT_HEADER_BYTES + 1);
  writeRectHeaderAt(out, 0, { x: 0, y: 0, width: 0, height: 0 }, Encoding.QemuLedState);
  out.writeUInt8(state, RECT_HEADER_BYTES);
  return out;
}

/** SetColourMapEntries (§7.6.2): type 1, padding, U16 first-colour, U16 count, U16 r/g/b each. */
export function encodeSetColourMapEntries(first: number, colours: readonly { red: number; green: number; blue: number }[]): Buffer {
  const out = Buffer.alloc(6 + 6 * colours.length);
  out[0] = ServerMessageType.SetColourMapEntries;
  out.writeUInt16BE(first, 2);
  out.writeUInt16BE(colours.length, 4);
  colours.forEach((c, i) => {
    out.writeUInt16BE(c.red, 6 + 6 * i);
    out.writeUInt16BE(c.green, 8 + 6 * i);
    out.writeUInt16BE(c.blue, 10 + 6 * i);
  });
  return out;
}

/** Bell (§7.6.3): the type byte alone. */
export function encodeBell(): Buffer {
  return Buffer.from([ServerMessageType.Bell]);
}

/** ServerCutText (§7.6.4): type 3, 3 padding, U32 length, Latin-1 text (others become '?'). */
export function encodeServerCutText(text: string): Buffer {
  const body = encodeLatin1(text);
  const out = Buffer.alloc(8 + body.length);
  out[0] = ServerMessageType.ServerCutText;
  out.writeUInt32BE(body.length, 4);
  body.copy(out, 8);
  return out;
}

/** EndOfContinuousUpdates (rfbproto): the type byte 150 alone. */
export function encodeEndOfContinuousUpdates(): Buffer {
  return Buffer.from([ServerMessageType.EndOfContinuousUpdates]);
}

function writeRectHeaderAt(out: Buffer, offset: number, rect: Rect, encoding: number): void {
  out.writeUInt16BE(rect.x, offset);
  out.writeUInt16BE(rect.y, offset + 2);
  out.writeUInt16BE(rect.width, offset + 4);
  out.writeUInt16BE(rect.height, offset + 6);
  out.writeInt32BE(encoding, offset + 8);
}
