/** Numbers from the RFB specification (rfbproto, "The RFB Protocol", community edition). */

/** §7.7 Encodings, and §7.8 Pseudo-encodings. */
export const Encoding = Object.freeze({
  Raw: 0,
  CopyRect: 1,
  RRE: 2,
  Hextile: 5,
  Zlib: 6,
  Tight: 7,
  ZRLE: 16,
  // pseudo-encodings
  DesktopSize: -223,
  LastRect: -224,
  Cursor: -239,
  DesktopName: -307,
  ExtendedDesktopSize: -308,
  QemuExtendedKeyEvent: -258,
  /** rfbproto "QEMU LED State Pseudo-encoding": one U8 of lock-key state (bit 0 Scroll, 1 Num, 2 Caps). */
  QemuLedState: -261,
  /** -32..-23: Tight JPEG quality levels. We never ask an upstream server for these. */
  TightQualityLevel0: -32,
  /** -256..-247: Tight/ZRLE compression levels. */
  CompressLevel0: -256,
});
export type EncodingNumber = number;

/** §7.5 client-to-server message types. */
export const ClientMessageType = Object.freeze({
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
  EnableContinuousUpdates: 150,
  SetDesktopSize: 251,
  QemuClientMessage: 255,
});

/** §7.6 server-to-client message types. */
export const ServerMessageType = Object.freeze({
  FramebufferUpdate: 0,
  SetColourMapEntries: 1,
  Bell: 2,
  ServerCutText: 3,
  EndOfContinuousUpdates: 150,
});

/** §7.1.2 security types. */
export const SecurityType = Object.freeze({
  Invalid: 0,
  None: 1,
  VncAuthentication: 2,
  /** Anonymous TLS, then a second security-type list inside it (vino, gtk-vnc; registered, not described, in rfbproto). */
  TLS: 18,
  /** rfbproto "VeNCrypt". */
  VeNCrypt: 19,
});

/** rfbproto "VeNCrypt": the subtypes (U32) we know by name. */
export const VeNCryptSubtype = Object.freeze({
  Plain: 256,
  TLSNone: 257,
  TLSVnc: 258,
  TLSPlain: 259,
  X509None: 260,
  X509Vnc: 261,
  X509Plain: 262,
  TLSSASL: 263,
  X509SASL: 264,
});

/** §7.4 PIXEL_FORMAT. */
export interface PixelFormat {
  bitsPerPixel: number;
  depth: number;
  bigEndian: boolean;
  trueColour: boolean;
  redMax: number;
  greenMax: number;
  blueMax: number;
  redShift: number;
  greenShift: number;
  blueShift: number;
}

/**
 * The format the gateway asks every upstream server for and that the Framebuffer stores:
 * 32 bpp, depth 24, little-endian, shifts 0/8/16, so bytes in memory are R, G, B, X.
 * It is also what noVNC asks of us (core/rfb.js sends SetPixelFormat 32/24 true colour with
 * red-shift 0, green-shift 8, blue-shift 16), so Raw rectangles pass to browsers with no conversion.
 */
export const RGBX_PIXEL_FORMAT: Readonly<PixelFormat> = Object.freeze({
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 0,
  greenShift: 8,
  blueShift: 16,
});

export function isRgbxFormat(pf: PixelFormat): boolean {
  return (
    pf.trueColour &&
    pf.bitsPerPixel === 32 &&
    pf.redMax === 255 &&
    pf.greenMax === 255 &&
    pf.blueMax === 255 &&
    ((!pf.bigEndian && pf.redShift === 0 && pf.greenShift === 8 && pf.blueShift === 16) ||
      (pf.bigEndian && pf.redShift === 24 && pf.greenShift === 16 && pf.blueShift === 8))
  );
}
