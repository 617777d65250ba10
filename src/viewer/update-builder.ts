import { Encoding, isRgbxFormat, type PixelFormat } from '../../protocols/rfb/constants.js';
import { encodeRawRect, RawEncoder } from '../../protocols/rfb/encodings/raw.js';
import { TightEncoder } from '../../protocols/rfb/encodings/tight.js';
import { encodeHeldShapes } from '../../protocols/rfb/encodings/tight-encoder.js';
import type { RectEncoder } from '../../protocols/rfb/encodings/types.js';
import type { Framebuffer, Rect } from '../../protocols/rfb/framebuffer.js';
import { encodeCursorRect, encodeDesktopSizeRect, encodeQemuExtendedKeyEventRect, encodeRectHeader } from '../../protocols/rfb/server-messages.js';
import type { Damage } from '../session/damage.js';
import type { EncodeCache } from './encode-cache.js';
import type { CursorShape } from '../sources/types.js';

export interface ViewerCaps {
  encodings: ReadonlySet<number>;
}

/** Encoders are stateless (Tight resets its streams per rectangle), so one instance serves everyone. */
const TIGHT = new TightEncoder();
const RAW = new RawEncoder();
/**
 * The whole screen from the held paints (encodeHeldShapes), as an encoder the cache can keep: no
 * rectangles when the framebuffer's pixels were read or drawn, or a held paint has no shape. The
 * picture it makes is the framebuffer's for as long as the cache keeps it (until the next change),
 * whether or not the held paints have been drawn meanwhile.
 */
const HELD: RectEncoder = {
  encoding: Encoding.Tight,
  shareable: true,
  encodeRect: (fb) => {
    const shapes = fb.heldShapes();
    return (shapes && encodeHeldShapes(fb.width, fb.height, shapes)) ?? [];
  },
};

/**
 * The encoding for a viewer: the first of those we can emit, in the order the viewer listed them
 * (rfbproto §7.5.2: the client's order is its preference). Tight only for the RGBX pixel format;
 * other true-colour formats get Raw converted to their format.
 */
export function chooseEncoder(caps: ViewerCaps, pf: PixelFormat, order: readonly number[] = [...caps.encodings]): RectEncoder {
  if (isRgbxFormat(pf) && !pf.bigEndian) {
    for (const e of order) {
      if (e === Encoding.Tight) return TIGHT;
      if (e === Encoding.Raw) return RAW;
    }
  }
  return RAW;
}

/**
 * One FramebufferUpdate message for a viewer, or undefined when there is nothing to send.
 * A resize is sent alone (DesktopSize pseudo-rectangle; the browser then asks again and gets the
 * whole new screen), because clients differ in how they treat rectangles after a size change.
 */
export function buildUpdate(o: {
  fb: Framebuffer;
  damage: Damage;
  caps: ViewerCaps;
  pf: PixelFormat;
  encoder: RectEncoder;
  resize: boolean;
  cursor: CursorShape | undefined;
  /** Confirm QEMU Extended Key Events (the empty -258 pseudo-rectangle), so noVNC sends scancodes. */
  qemuExtendedKeyEvent?: boolean;
  /** The session's shared encodes (viewers at the same point get the same bytes, encoded once). */
  cache?: EncodeCache | undefined;
}): Buffer | undefined {
  const parts: Buffer[] = o.qemuExtendedKeyEvent ? [encodeQemuExtendedKeyEventRect()] : [];
  let count = parts.length;
  if (o.resize && o.caps.encodings.has(Encoding.DesktopSize)) {
    return message([...parts, encodeDesktopSizeRect(o.fb.width, o.fb.height)], count + 1);
  }
  if (o.cursor) {
    parts.push(encodeCursorRect({ ...o.cursor, pixels: cursorPixelsForNoVnc(o.cursor.rgbx) }));
    count++;
  }
  const { copies, rects } = o.damage.take();
  const canCopy = o.caps.encodings.has(Encoding.CopyRect);
  for (const c of copies) {
    if (canCopy) {
      const body = Buffer.alloc(4);
      body.writeUInt16BE(c.srcX, 0);
      body.writeUInt16BE(c.srcY, 2);
      parts.push(encodeRectHeader(c, Encoding.CopyRect), body);
      count++;
    } else {
      rects.unshift({ x: c.x, y: c.y, width: c.width, height: c.height });
    }
  }
  const rgbx = isRgbxFormat(o.pf) && !o.pf.bigEndian;
  const encode = (encoder: RectEncoder, r: Rect): Buffer[] => (o.cache ? o.cache.encode(encoder, o.fb, r) : encoder.encodeRect(o.fb, r));
  // The whole screen (a viewer's first picture) of a framebuffer nothing has drawn into yet: made
  // from the paints it holds, so its memory stays untouched until someone needs the pixels
  // (Framebuffer.heldShapes says why). Shared through the session's cache like any encode: viewers
  // joining together get one (an empty result, kept too, means the shapes could not be had).
  const whole = rects.length === 1 && rects[0]!.x === 0 && rects[0]!.y === 0 && rects[0]!.width === o.fb.width && rects[0]!.height === o.fb.height;
  if (rgbx && whole && copies.length === 0 && o.encoder.encoding === Encoding.Tight) {
    const encoded = encode(HELD, rects[0]!);
    if (encoded.length > 0 && count + encoded.length <= 0xffff) return message([...parts, ...encoded], count + encoded.length);
  }
  for (const r of rects) {
    if (rgbx) {
      // Viewers at the same point ask for the same rectangles: the session's cache serves the second.
      // (Cutting areas into tile-row strips so that viewers at different points would share more was
      // tried and dropped: on the xterm recording it sent 3.6x the bytes and cost 1.7x the
      // instructions, every strip paying a rectangle header and a fresh zlib stream.)
      for (const enc of encode(o.encoder, r)) {
        parts.push(enc);
        count++;
      }
    } else {
      parts.push(encodeRawRect(o.fb, r, o.pf));
      count++;
    }
  }
  if (count === 0) return undefined;
  return message(parts, count);
}

/**
 * noVNC 1.7 (core/rfb.js `_handleCursor`) reads Cursor pseudo-encoding pixels as B, G, R, X whatever
 * pixel format it asked for (its own SetPixelFormat puts red first). The browsers we serve run stock
 * noVNC, so cursors are sent in the byte order it reads; otherwise red and blue swap on coloured
 * cursors. (Black-and-white cursors, the common case, look the same either way.)
 */
export function cursorPixelsForNoVnc(rgbx: Buffer): Buffer {
  const out = Buffer.allocUnsafe(rgbx.length);
  for (let i = 0; i + 3 < rgbx.length; i += 4) {
    out[i] = rgbx[i + 2]!;
    out[i + 1] = rgbx[i + 1]!;
    out[i + 2] = rgbx[i]!;
    out[i + 3] = 0;
  }
  return out;
}

function message(parts: Buffer[], count: number): Buffer {
  // §7.6.1: message-type 0, padding, number-of-rectangles (u16).
  if (count > 0xffff) throw new Error(`assert: ${count} rectangles do not fit one FramebufferUpdate`);
  const header = Buffer.from([0, 0, count >> 8, count & 0xff]);
  return Buffer.concat([header, ...parts]);
}
