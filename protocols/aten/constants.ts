/**
 * Numbers of the Supermicro/ATEN iKVM dialect of RFB. There is no published specification; every
 * value here was agreed on by several independent public clients (see /work/shared/notes/aten-ikvm.md
 * for the byte layouts and where each was read).
 */

/** The two banners ATEN servers send. Both are echoed verbatim (an AST2400 board closes on anything else). */
export const ATEN_BANNERS = Object.freeze(['RFB 003.008\n', 'RFB 055.008\n'] as const);
export type AtenBanner = (typeof ATEN_BANNERS)[number];

/**
 * ATEN offers security type 16 ("Tight") but runs no TightVNC tunnel or sub-auth negotiation: the
 * server sends 24 opaque bytes and the client answers with user[24] ‖ pass[24] in clear.
 */
export const ATEN_SECURITY_TYPE = 16;
export const ATEN_CHALLENGE_BYTES = 24;
export const ATEN_CREDENTIAL_FIELD_BYTES = 24;
/** The 12 bytes after the desktop name in the ATEN ServerInit (8 unknown + 4 flags). */
export const ATEN_SERVER_INIT_TRAILER_BYTES = 12;

/** Rectangle encodings seen in ATEN FramebufferUpdates. Old Hermon firmware puts 0 in the field. */
export const AtenEncoding = Object.freeze({
  HermonLegacy: 0x00,
  Ast2100: 0x57,
  AstJpeg: 0x58,
  Hermon: 0x59,
});

/** Server → client message types. ATEN reuses standard numbers (4 is not ResizeFrameBuffer here). */
export const AtenServerMessageType = Object.freeze({
  FramebufferUpdate: 0x00,
  Bell: 0x02,
  Cursor: 0x04,
  KeepAlive: 0x16,
  VideoGetInfo: 0x33,
  KeyboardMouseStatus: 0x35,
  MouseGetInfo: 0x37,
  Session: 0x39,
  ViewerLang: 0x3c,
});

/** Client → server message types. */
export const AtenClientMessageType = Object.freeze({
  FramebufferUpdateRequest: 0x03,
  KeyEvent: 0x04,
  PointerEvent: 0x05,
  KeepAlive: 0x15,
  VideoSettings: 0x32,
  MouseMode: 0x36,
});

/** Mouse modes of the 0x36 message (ATENtion, verified live on an X9DRH-7F). */
export const AtenMouseMode = Object.freeze({
  Absolute: 1,
  Relative: 2,
  Single: 3,
});

/**
 * The "screen off / no signal" rectangle: w = 0xFD80, h = 0xFE20 (−640 × −480 as int16). Its data
 * (0 or 10 bytes) carries nothing; the client must keep asking for full updates and never resize to it.
 */
export const ATEN_NO_SIGNAL_WIDTH = 0xfd80;
export const ATEN_NO_SIGNAL_HEIGHT = 0xfe20;

/** AST2100 header bytes 2-3: the subsampling marker (the decimal numbers 444 and 422). */
export const Ast2100Subsampling = Object.freeze({
  /** 4:4:4, 8x8 MCUs. */
  Yuv444: 444,
  /** Called "422" by ATEN, but chroma is halved in both directions (4:2:0), 16x16 MCUs. */
  Yuv420: 422,
});
